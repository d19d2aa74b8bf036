//! The parts of Go's `fmt` and `strconv` that templates reach: `%v` printing, `Sprint`,
//! `Sprintf` verbs, float formatting and `strconv.Quote`. Output is bytes, as Go strings
//! are; every writer stops once the render's byte budget is spent.

use super::budget::{self, Budget};
use super::value::Value;

/// Go's `fmt.Sprint`: a space between operands when neither side is a string.
pub fn sprint(args: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::Str(_));
        if i > 0 && !is_string && !prev_string {
            out.push(b' ');
        }
        write_verb(&mut out, a, 'v', &Spec::default(), 0);
        prev_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln`: always a space between operands, and a final newline.
pub fn sprintln(args: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        write_verb(&mut out, a, 'v', &Spec::default(), 0);
    }
    out.push(b'\n');
    out
}

/// `%v` of one value, as text (for messages; U+FFFD for bytes that are not UTF-8).
pub fn v(value: &Value) -> String {
    String::from_utf8_lossy(&v_bytes(value)).into_owned()
}

/// `%v` of one value.
pub fn v_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_verb(&mut out, value, 'v', &Spec::default(), 0);
    out
}

/// Whether `extra` more bytes fit after `out` within the render's byte budget (the result
/// is charged when it becomes a value); marks the budget spent when they do not.
fn room(out: &[u8], extra: usize) -> bool {
    budget::fits(out.len() as u64 + extra as u64).is_ok()
}

/// Go's fmt refuses widths and precisions beyond a million (`tooLarge`).
const MAX_WIDTH: u64 = 1_000_000;

/// Go stops reading a literal width once it passes a million, so ten million is the most
/// it takes (beyond that Go swallows the rest of the format; we report BADWIDTH).
const MAX_LITERAL_WIDTH: u64 = 10_000_009;

/// Flags, width and precision of one verb.
#[derive(Debug, Default, Clone)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Text appended to byte output.
trait Push {
    fn push_str(&mut self, s: &str);
}

impl Push for Vec<u8> {
    fn push_str(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

/// Go's `utf8.DecodeRune`: the first rune of `b` and its length; an invalid or short
/// sequence is U+FFFD of length 1 (length 0 for empty input).
pub fn decode_rune(b: &[u8]) -> (char, usize) {
    let n = match b.first() {
        None => return ('\u{FFFD}', 0),
        Some(&x) if x < 0x80 => return (char::from(x), 1),
        Some(&x) if x & 0xE0 == 0xC0 => 2,
        Some(&x) if x & 0xF0 == 0xE0 => 3,
        Some(&x) if x & 0xF8 == 0xF0 => 4,
        Some(_) => return ('\u{FFFD}', 1),
    };
    match b.get(..n).and_then(|p| std::str::from_utf8(p).ok()) {
        Some(s) => (s.chars().next().unwrap_or('\u{FFFD}'), n),
        None => ('\u{FFFD}', 1),
    }
}

/// The runes of a Go string with their byte offsets, as `for i, r := range s` sees them.
#[derive(Clone)]
pub struct Runes<'a> {
    b: &'a [u8],
    i: usize,
}

pub fn runes(b: &[u8]) -> Runes<'_> {
    Runes { b, i: 0 }
}

impl Iterator for Runes<'_> {
    type Item = (usize, char);
    fn next(&mut self) -> Option<(usize, char)> {
        let at = self.i;
        let (c, n) = decode_rune(self.b.get(at..)?);
        if n == 0 {
            return None;
        }
        self.i += n;
        Some((at, c))
    }
}

type Chars<'a> = std::iter::Peekable<Runes<'a>>;

/// Go's `fmt.Sprintf`.
pub fn sprintf(format: &[u8], args: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut argn = 0usize;
    let mut reordered = false;
    let mut chars = runes(format).peekable();
    while let Some((at, c)) = chars.next() {
        if !budget::step() || !room(&out, 0) {
            break;
        }
        if c != '%' {
            let end = chars.peek().map_or(format.len(), |&(i, _)| i);
            out.extend_from_slice(&format[at..end]);
            continue;
        }
        let mut spec = Spec::default();
        // Flags.
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = !spec.minus,
                _ => break,
            }
            chars.next();
        }
        let mut bad_index = false;
        let mut after_index = arg_index(
            &mut chars,
            &mut argn,
            &mut reordered,
            &mut bad_index,
            args.len(),
        );
        // Width, possibly from an argument.
        if chars.peek().is_some_and(|&(_, c)| c == '*') {
            chars.next();
            match args.get(argn) {
                Some(Value::Int(n)) | Some(Value::Int64(n)) if n.unsigned_abs() <= MAX_WIDTH => {
                    if *n < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(n.unsigned_abs() as usize);
                }
                _ => out.push_str("%!(BADWIDTH)"),
            }
            argn += 1;
            after_index = false;
        } else {
            spec.width = read_num(&mut chars);
            if spec.width.is_some_and(|w| w as u64 > MAX_LITERAL_WIDTH) {
                spec.width = None;
                out.push_str("%!(BADWIDTH)");
            }
            if after_index && spec.width.is_some() {
                // "%[3]2d": an index may not precede a literal width.
                bad_index = true;
            }
        }
        if chars.peek().is_some_and(|&(_, c)| c == '.') {
            chars.next();
            after_index = arg_index(
                &mut chars,
                &mut argn,
                &mut reordered,
                &mut bad_index,
                args.len(),
            );
            if chars.peek().is_some_and(|&(_, c)| c == '*') {
                chars.next();
                match args.get(argn) {
                    Some(Value::Int(n)) | Some(Value::Int64(n))
                        if *n >= 0 && n.unsigned_abs() <= MAX_WIDTH =>
                    {
                        spec.prec = Some(*n as usize)
                    }
                    _ => out.push_str("%!(BADPREC)"),
                }
                argn += 1;
                after_index = false;
            } else {
                spec.prec = Some(read_num(&mut chars).unwrap_or(0));
                if spec.prec.is_some_and(|p| p as u64 > MAX_LITERAL_WIDTH) {
                    spec.prec = None;
                    out.push_str("%!(BADPREC)");
                }
            }
        }
        if !after_index {
            arg_index(
                &mut chars,
                &mut argn,
                &mut reordered,
                &mut bad_index,
                args.len(),
            );
        }
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push(b'%');
            continue;
        }
        if bad_index {
            out.push_str(&format!("%!{verb}(BADINDEX)"));
            continue;
        }
        if verb == 'v' {
            // `%+v` only matters for structs; `%#v` is Go syntax.
            spec.plus = false;
            if spec.sharp {
                spec.sharp = false;
                if let Some(arg) = args.get(argn) {
                    argn += 1;
                    let text = go_syntax(arg, 0);
                    pad(&mut out, &text, &spec);
                } else {
                    out.push_str("%!v(MISSING)");
                }
                continue;
            }
        }
        let Some(arg) = args.get(argn) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argn += 1;
        if verb == 'T' {
            pad(&mut out, arg.type_name().as_bytes(), &spec);
            continue;
        }
        write_verb(&mut out, arg, verb, &spec, 0);
    }
    if !reordered && argn < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args[argn..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(a.type_name());
            out.push(b'=');
            write_verb(&mut out, a, 'v', &Spec::default(), 0);
        }
        out.push(b')');
    }
    out
}

/// An explicit argument index `[n]`; returns whether one was read.
fn arg_index(
    chars: &mut Chars<'_>,
    argn: &mut usize,
    reordered: &mut bool,
    bad: &mut bool,
    nargs: usize,
) -> bool {
    if chars.peek().is_none_or(|&(_, c)| c != '[') {
        return false;
    }
    chars.next();
    *reordered = true;
    let n = read_num(chars);
    if chars.peek().is_some_and(|&(_, c)| c == ']') {
        chars.next();
        match n {
            Some(n) if n >= 1 && n <= nargs => {
                *argn = n - 1;
                return true;
            }
            _ => *bad = true,
        }
    } else {
        // Skip to the closing bracket, as Go does.
        for (_, c) in chars.by_ref() {
            if c == ']' {
                break;
            }
        }
        *bad = true;
    }
    false
}

/// `%#v`: Go-syntax representation. `depth` is 0 at the top, where nil is `<nil>`.
fn go_syntax(v: &Value, depth: usize) -> Vec<u8> {
    let mut out = Vec::new();
    write_go_syntax(&mut out, v, depth);
    out
}

fn write_go_syntax(out: &mut Vec<u8>, v: &Value, depth: usize) {
    if !enter(out, depth) {
        return;
    }
    match v {
        Value::Nil if depth == 0 => out.push_str("<nil>"),
        Value::Nil => out.push_str("interface {}(nil)"),
        Value::Str(s) => out.push_str(&quote_bytes(s)),
        Value::List(items, _) => {
            out.push_str(v.type_name());
            out.push(b'{');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_go_syntax(out, x, depth + 1);
            }
            out.push(b'}');
        }
        Value::Map(m) => {
            out.push_str(v.type_name());
            out.push(b'{');
            for (i, (k, x)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(k));
                out.push(b':');
                write_go_syntax(out, x, depth + 1);
            }
            out.push(b'}');
        }
        Value::StrMap(m) => {
            out.push_str(v.type_name());
            out.push(b'{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(k));
                out.push(b':');
                out.push_str(&quote_bytes(x));
            }
            out.push(b'}');
        }
        other => write_verb(out, other, 'v', &Spec::default(), depth),
    }
}

/// One more value to print at `depth`: a step, within the byte budget and the nesting
/// limit (a map that contains itself would otherwise print forever).
fn enter(out: &[u8], depth: usize) -> bool {
    if depth > Budget::MAX_VALUE_DEPTH {
        budget::too_deep();
        return false;
    }
    budget::step() && room(out, 0)
}

fn read_num(chars: &mut Chars<'_>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(&(_, c)) = chars.peek() {
        let Some(d) = c.to_digit(10) else { break };
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
        chars.next();
    }
    n
}

/// Pads to the width in runes (Go's `utf8.RuneCount`), refusing padding beyond the budget.
fn pad(out: &mut Vec<u8>, s: &[u8], spec: &Spec) {
    let n = runes(s).count();
    let w = spec.width.unwrap_or(0);
    if !room(out, s.len() + w.saturating_sub(n)) {
        return;
    }
    if n >= w {
        out.extend_from_slice(s);
    } else if spec.minus {
        out.extend_from_slice(s);
        out.extend(std::iter::repeat_n(b' ', w - n));
    } else {
        // Go pads with zeros on the left even for strings when asked to.
        let fill = if spec.zero { b'0' } else { b' ' };
        out.extend(std::iter::repeat_n(fill, w - n));
        out.extend_from_slice(s);
    }
}

/// Pads a number: zero padding goes after the sign.
fn pad_num(out: &mut Vec<u8>, s: &str, spec: &Spec) {
    let w = spec.width.unwrap_or(0);
    let n = s.chars().count();
    if spec.zero && !spec.minus && n < w {
        if !room(out, w) {
            return;
        }
        let (sign, digits) = match s.as_bytes().first() {
            Some(b'-') | Some(b'+') | Some(b' ') => s.split_at(1),
            _ => ("", s),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n(b'0', w - n));
        out.push_str(digits);
    } else {
        pad(out, s.as_bytes(), spec);
    }
}

/// Go's `%!verb(type=value)`; the value is printed with the verb's width and precision.
fn bad_verb(out: &mut Vec<u8>, value: &Value, verb: char, spec: &Spec, depth: usize) {
    match value {
        Value::Nil => out.push_str(&format!("%!{verb}(<nil>)")),
        _ => {
            out.push_str(&format!("%!{verb}({}=", value.type_name()));
            write_verb(out, value, 'v', spec, depth);
            out.push(b')');
        }
    }
}

fn write_verb(out: &mut Vec<u8>, value: &Value, verb: char, spec: &Spec, depth: usize) {
    if !enter(out, depth) {
        return;
    }
    match value {
        Value::Nil => match verb {
            'v' => pad(out, b"<nil>", spec),
            _ => bad_verb(out, value, verb, spec, depth),
        },
        Value::Bool(b) => match verb {
            'v' | 't' => pad(out, if *b { b"true" } else { b"false" }, spec),
            _ => bad_verb(out, value, verb, spec, depth),
        },
        Value::Int(i) | Value::Int64(i) => write_int(out, *i, value, verb, spec, depth),
        Value::Float(f) => write_float(out, *f, value, verb, spec, depth),
        Value::Str(s) => write_str(out, s, verb, spec),
        // `time.Time` is a `fmt.Stringer`.
        Value::Time(t) => write_str(out, t.go_string().as_bytes(), verb, spec),
        Value::Uint(u) => match i64::try_from(*u) {
            Ok(i) => write_int(out, i, value, verb, spec, depth),
            Err(_) if matches!(verb, 'v' | 'd') => pad(out, u.to_string().as_bytes(), spec),
            Err(_) => bad_verb(out, value, verb, spec, depth),
        },
        // Both `Version` and `*Version` are `fmt.Stringer`s.
        Value::SemVer(v, _) => write_str(out, v.canonical().as_bytes(), verb, spec),
        // A struct: its fields in braces.
        Value::Cert(c) => {
            out.push(b'{');
            write_str(out, &c.cert, verb, spec);
            out.push(b' ');
            write_str(out, &c.key, verb, spec);
            out.push(b'}');
        }
        Value::List(items, _) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_verb(out, item, verb, spec, depth + 1);
            }
            out.push(b']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, item)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_str(out, k.as_bytes(), verb, spec);
                out.push(b':');
                write_verb(out, item, verb, spec, depth + 1);
            }
            out.push(b']');
        }
        Value::StrMap(m) => {
            out.push_str("map[");
            for (i, (k, item)) in m.iter().enumerate() {
                if !enter(out, depth + 1) {
                    break;
                }
                if i > 0 {
                    out.push(b' ');
                }
                write_str(out, k.as_bytes(), verb, spec);
                out.push(b':');
                write_str(out, item, verb, spec);
            }
            out.push(b']');
        }
    }
}

/// Go's `strconv.CanBackquote`.
fn can_backquote(s: &[u8]) -> bool {
    runes(s).all(|(i, c)| {
        let invalid = c == '\u{FFFD}' && decode_rune(&s[i..]).1 == 1;
        !invalid && c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\x7f'))
    })
}

fn write_str(out: &mut Vec<u8>, s: &[u8], verb: char, spec: &Spec) {
    // A precision counts runes.
    let s = match spec.prec {
        Some(p) => match runes(s).nth(p) {
            Some((end, _)) => &s[..end],
            None => s,
        },
        None => s,
    };
    match verb {
        'v' | 's' => pad(out, s, spec),
        'q' => {
            let q = if spec.sharp && can_backquote(s) {
                let mut q = Vec::with_capacity(s.len() + 2);
                q.push(b'`');
                q.extend_from_slice(s);
                q.push(b'`');
                q
            } else {
                quote_bytes(s).into_bytes()
            };
            pad(out, &q, spec)
        }
        'x' | 'X' => {
            if !room(out, s.len() * 3) {
                return;
            }
            let mut h = String::new();
            for (i, b) in s.iter().enumerate() {
                if spec.space && i > 0 {
                    h.push(' ');
                }
                if verb == 'x' {
                    h.push_str(&format!("{b:02x}"));
                } else {
                    h.push_str(&format!("{b:02X}"));
                }
            }
            pad(out, h.as_bytes(), spec)
        }
        _ => {
            // Go prints the value with the verb's width and precision still set.
            out.push_str(&format!("%!{verb}(string="));
            write_str(out, s, 'v', spec);
            out.push(b')');
        }
    }
}

fn with_sign(s: String, neg: bool, spec: &Spec) -> String {
    if neg {
        format!("-{s}")
    } else if spec.plus {
        format!("+{s}")
    } else if spec.space {
        format!(" {s}")
    } else {
        s
    }
}

fn write_int(out: &mut Vec<u8>, i: i64, value: &Value, verb: char, spec: &Spec, depth: usize) {
    if !room(out, spec.prec.unwrap_or(0)) {
        return;
    }
    let neg = i < 0;
    let mag = i.unsigned_abs();
    let digits = match verb {
        'v' | 'd' => mag.to_string(),
        'b' => format!("{mag:b}"),
        'o' | 'O' => format!("{mag:o}"),
        'x' => format!("{mag:x}"),
        'X' => format!("{mag:X}"),
        'c' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}');
            return pad(out, c.to_string().as_bytes(), spec);
        }
        'q' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}');
            return pad(out, quote_rune(c).as_bytes(), spec);
        }
        'U' => {
            return pad(out, format!("U+{mag:04X}").as_bytes(), spec);
        }
        _ => return bad_verb(out, value, verb, spec, depth),
    };
    let digits = match spec.prec {
        Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
        Some(0) if mag == 0 => String::new(),
        _ => digits,
    };
    let prefixed = match (verb, spec.sharp) {
        ('x', true) => format!("0x{digits}"),
        ('X', true) => format!("0X{digits}"),
        ('o', true) => format!("0{digits}"),
        ('O', _) => format!("0o{digits}"),
        ('b', true) => format!("0b{digits}"),
        _ => digits,
    };
    let s = with_sign(prefixed, neg, spec);
    if spec.prec.is_some() {
        // A precision turns zero padding off for integers.
        pad(
            out,
            s.as_bytes(),
            &Spec {
                zero: false,
                ..spec.clone()
            },
        )
    } else {
        pad_num(out, &s, spec)
    }
}

fn write_float(out: &mut Vec<u8>, f: f64, value: &Value, verb: char, spec: &Spec, depth: usize) {
    // A precision asks for that many digits (a float has at most 310 before the point).
    if !room(out, spec.prec.unwrap_or(0).saturating_add(330)) {
        return;
    }
    let s = match verb {
        'v' | 'g' | 'G' => {
            let s = format_g(f, spec.prec);
            if verb == 'G' { s.to_uppercase() } else { s }
        }
        'e' | 'E' => {
            let s = format_e(f, spec.prec.unwrap_or(6));
            if verb == 'E' { s.to_uppercase() } else { s }
        }
        'f' | 'F' => format_f(f, spec.prec.unwrap_or(6)),
        _ => return bad_verb(out, value, verb, spec, depth),
    };
    let s = if f.is_nan() || f.is_sign_negative() {
        s
    } else if spec.plus {
        format!("+{s}")
    } else if spec.space {
        format!(" {s}")
    } else {
        s
    };
    if f.is_finite() {
        pad_num(out, &s, spec)
    } else {
        pad(out, s.as_bytes(), spec)
    }
}

fn non_finite(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        })
    } else {
        None
    }
}

/// Decimal digits and exponent of `f`: shortest round-trip when `sig` is None,
/// else rounded to `sig` significant digits (trailing zeros dropped).
fn digits_exp(f: f64, sig: Option<usize>) -> (bool, String, i32) {
    let s = match sig {
        None => format!("{:e}", f.abs()),
        // An f64 has at most 767 significant decimal digits; Rust's formatter takes at most
        // 65535, so longer requests are cut here (the digits past 767 are zeros anyway).
        Some(p) => format!("{:.*e}", (p.max(1) - 1).min(MAX_DIGITS), f.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (f.is_sign_negative(), digits, exp)
}

fn exp_suffix(exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("e{sign}{:02}", exp.unsigned_abs())
}

/// strconv's `'g'` format (shortest when `prec` is None), as `%v` and `%g` use it.
pub fn format_g(f: f64, prec: Option<usize>) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    let (neg, digits, exp) = digits_exp(f, prec.map(|p| p.max(1)));
    let eprec: i32 = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            let nd = digits.len() as i32;
            if p > nd && nd > exp { nd } else { p }
        }
    };
    let sign = if neg { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        format!("{sign}{mant}{}", exp_suffix(exp))
    } else if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let int_len = (exp + 1) as usize;
        if digits.len() <= int_len {
            format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    }
}

/// `%e` with a precision.
pub fn format_e(f: f64, prec: usize) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    let s = format!("{:.*e}", prec.min(MAX_DIGITS), f);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let zeros = "0".repeat(prec.saturating_sub(MAX_DIGITS));
    format!("{mant}{zeros}{}", exp_suffix(exp))
}

/// `%f` with a precision.
pub fn format_f(f: f64, prec: usize) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    // Past 1100 places every f64 has only zeros left (its binary expansion ends by 1074).
    let s = format!("{:.*}", prec.min(1100), f);
    format!("{s}{}", "0".repeat(prec.saturating_sub(1100)))
}

/// More significant digits than any f64 has.
const MAX_DIGITS: usize = 800;

/// Approximates Go's `unicode.IsPrint`: graphic characters plus ASCII space.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Format characters (Unicode category Cf) and private use / noncharacters.
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xFFFE..=0xFFFF | 0xF0000..=0x10FFFF | 0x110BD | 0x110CD
        | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001..=0xE007F)
}

fn escape_rune(out: &mut String, c: char, quote_char: char) {
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == quote_char => {
            out.push('\\');
            out.push(c);
        }
        c if is_print(c) => out.push(c),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `strconv.Quote` (what `%q` does to a string).
pub fn quote(s: &str) -> String {
    quote_bytes(s.as_bytes())
}

/// `strconv.Quote` of a Go string: bytes that are not UTF-8 become `\xNN`.
pub fn quote_bytes(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for (i, c) in runes(s) {
        if c == '\u{FFFD}' && decode_rune(&s[i..]).1 == 1 && s[i] >= 0x80 {
            out.push_str(&format!("\\x{:02x}", s[i]));
        } else {
            escape_rune(&mut out, c, '"');
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune`.
pub fn quote_rune(c: char) -> String {
    let mut out = String::from("'");
    escape_rune(&mut out, c, '\'');
    out.push('\'');
    out
}
