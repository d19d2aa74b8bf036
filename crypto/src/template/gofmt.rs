//! The parts of Go's `fmt` and `strconv` that templates reach: `%v` printing, `Sprint`,
//! `Sprintf` verbs, float formatting and `strconv.Quote`. Output is bytes, as Go strings
//! are; every writer stops once the render's byte budget is spent.

use super::budget::{self, Budget};
use super::value::Value;

use gocompat::strconv::{can_backquote, format_e, format_f, quote_rune};
pub use gocompat::strconv::{format_g, is_print, quote, quote_bytes};
pub use gocompat::utf8::{Runes, decode_rune, runes};

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
