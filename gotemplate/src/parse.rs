//! Parser for Go template source: Go's `text/template/parse` grammar, error texts and
//! error line numbers (`template: <name>:<line>: <msg>`).

use std::collections::BTreeMap;

use gocompat::strconv;

use super::ast::{Arg, Cmd, Control, Node, Number, Pipe};
use super::lex::{Item, Kind, lex};

/// A parsed template: the main list plus `{{define}}`/`{{block}}` bodies.
#[derive(Debug, Clone)]
pub struct Tree {
    pub root: Vec<Node>,
    pub defs: BTreeMap<String, Vec<Node>>,
}

/// Go allows 10000 nested parentheses and unbounded block nesting; templates come from
/// SealedSecret authors and are parsed recursively, so nesting of both is capped lower to
/// keep a hostile template from exhausting a worker thread's stack.
const MAX_STACK_DEPTH: usize = 100;

struct Parser<'a> {
    name: &'a str,
    items: Vec<Item>,
    i: usize,
    hi: usize,
    vars: Vec<String>,
    range_depth: usize,
    stack_depth: usize,
    action_line: usize,
    defs: BTreeMap<String, Vec<Node>>,
    has_function: &'a dyn Fn(&str) -> bool,
}

type PResult<T> = Result<T, String>;

/// Parses `src`; `has_function` answers whether an identifier names a known function.
pub fn parse(name: &str, src: &str, has_function: &dyn Fn(&str) -> bool) -> PResult<Tree> {
    let mut p = Parser {
        name,
        items: lex(src),
        i: 0,
        hi: 0,
        vars: vec!["$".into()],
        range_depth: 0,
        stack_depth: 0,
        action_line: 0,
        defs: BTreeMap::new(),
        has_function,
    };
    let mut root = p.parse_root()?;
    // The main template joins the set last, like Go's `Tree.add`: a non-empty `define` of
    // its own name clashes, and an empty main body defers to that definition.
    if let Some(def) = p.defs.get(name) {
        if !is_empty_tree(&root) && !is_empty_tree(def) {
            let msg = format!(
                "template: multiple definition of template {}",
                super::gofmt::quote(name)
            );
            return Err(p.errorf(msg));
        }
        if is_empty_tree(&root) {
            root = def.clone();
        }
    }
    Ok(Tree { root, defs: p.defs })
}

/// What `itemList` stopped on.
enum Stop {
    End,
    Else { is_if: bool, is_with: bool },
}

impl Parser<'_> {
    fn next(&mut self) -> Item {
        let idx = self.i.min(self.items.len() - 1);
        if self.i < self.items.len() - 1 {
            self.i += 1;
        }
        self.hi = self.hi.max(idx);
        self.items[idx].clone()
    }

    fn peek(&mut self) -> Item {
        let t = self.next();
        self.i = t.idx;
        t
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let t = self.next();
            if t.kind != Kind::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let t = self.next_non_space();
        self.unread(&t);
        t
    }

    /// Puts the cursor back onto a token previously returned.
    fn unread(&mut self, t: &Item) {
        self.i = t.idx;
    }

    fn errorf(&self, msg: impl Into<String>) -> String {
        let line = self.items.get(self.hi).map(|t| t.line).unwrap_or(1);
        format!("template: {}:{}: {}", self.name, line, msg.into())
    }

    fn unexpected(&self, t: &Item, context: &str) -> String {
        if t.kind == Kind::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != t.line {
                extra = format!(" in action started at {}:{}", self.name, self.action_line);
                if t.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{t}{extra}"));
        }
        self.errorf(format!("unexpected {t} in {context}"))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Item> {
        let t = self.next_non_space();
        if t.kind != kind {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn parse_root(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        loop {
            let t = self.peek();
            if t.kind == Kind::Eof {
                return Ok(root);
            }
            if t.kind == Kind::LeftDelim {
                let delim = self.next();
                if self.next_non_space().kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.unread(&delim);
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.push(n),
                Parsed::End => return Err(self.errorf("unexpected {{end}}")),
                Parsed::Else(_) => return Err(self.errorf("unexpected {{else}}")),
            }
        }
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let t = self.next_non_space();
        if t.kind != Kind::String && t.kind != Kind::RawString {
            return Err(self.unexpected(&t, context));
        }
        let name = unquote_name(&t.val).map_err(|e| self.errorf(e))?;
        self.expect(Kind::RightDelim, context)?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let (list, stop) = self.item_list()?;
        self.vars = saved;
        if !matches!(stop, Stop::End) {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add_def(name, list)
    }

    fn add_def(&mut self, name: String, list: Vec<Node>) -> PResult<()> {
        if let Some(old) = self.defs.get(&name)
            && !is_empty_tree(old)
            && !is_empty_tree(&list)
        {
            return Err(self.errorf(format!(
                "template: multiple definition of template {}",
                super::gofmt::quote(&name)
            )));
        }
        if !self.defs.contains_key(&name) || !is_empty_tree(&list) {
            self.defs.insert(name, list);
        }
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Stop)> {
        let mut list = Vec::new();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.push(n),
                Parsed::End => return Ok((list, Stop::End)),
                Parsed::Else(s) => return Ok((list, s)),
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Text => Ok(Parsed::Node(Node::Text(t.val))),
            Kind::LeftDelim => {
                self.action_line = t.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Block => return self.block_control().map(Parsed::Node),
            Kind::Break | Kind::Continue => {
                let what = if t.kind == Kind::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let n = self.next_non_space();
                if n.kind != Kind::RightDelim {
                    return Err(self.unexpected(&n, what));
                }
                if self.range_depth == 0 {
                    return Err(self.errorf(format!("{what} outside {{{{range}}}}")));
                }
                return Ok(Parsed::Node(if t.kind == Kind::Break {
                    Node::Break
                } else {
                    Node::Continue
                }));
            }
            Kind::Else => {
                let peek = self.peek_non_space();
                if peek.kind == Kind::If || peek.kind == Kind::With {
                    return Ok(Parsed::Else(Stop::Else {
                        is_if: peek.kind == Kind::If,
                        is_with: peek.kind == Kind::With,
                    }));
                }
                self.expect(Kind::RightDelim, "else")?;
                return Ok(Parsed::Else(Stop::Else {
                    is_if: false,
                    is_with: false,
                }));
            }
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            Kind::If => return self.control("if").map(|c| Parsed::Node(Node::If(c))),
            Kind::Range => return self.control("range").map(|c| Parsed::Node(Node::Range(c))),
            Kind::With => return self.control("with").map(|c| Parsed::Node(Node::With(c))),
            Kind::Template => return self.template_control().map(Parsed::Node),
            _ => {}
        }
        self.unread(&t);
        let pipe = self.pipeline("command", Kind::RightDelim)?;
        Ok(Parsed::Node(Node::Action { pipe }))
    }

    fn control(&mut self, context: &str) -> PResult<Control> {
        if self.stack_depth >= MAX_STACK_DEPTH {
            return Err(self.errorf("max expression depth exceeded"));
        }
        self.stack_depth += 1;
        let mark = self.vars.len();
        let r = self.control_inner(context);
        self.vars.truncate(mark);
        self.stack_depth -= 1;
        r
    }

    fn control_inner(&mut self, context: &str) -> PResult<Control> {
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, stop) = r?;
        let else_list = match stop {
            Stop::End => None,
            Stop::Else { is_if, is_with } => {
                if context == "if" && is_if {
                    self.next_non_space();
                    Some(vec![Node::If(self.control("if")?)])
                } else if context == "with" && is_with {
                    self.next_non_space();
                    Some(vec![Node::With(self.control("with")?)])
                } else {
                    if is_if || is_with {
                        // `{{else if}}` outside an if: Go parses it as a plain else
                        // followed by an unexpected keyword.
                        let t = self.next_non_space();
                        return Err(self.unexpected(&t, "else"));
                    }
                    let (l, stop) = self.item_list()?;
                    if !matches!(stop, Stop::End) {
                        return Err(self.errorf("expected end; found {{else}}"));
                    }
                    Some(l)
                }
            }
        };
        Ok(Control {
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let r = self.item_list();
        self.vars = saved;
        let (list, stop) = r?;
        if !matches!(stop, Stop::End) {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add_def(name.clone(), list)?;
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let t2 = self.next_non_space();
        let pipe = if t2.kind != Kind::RightDelim {
            self.unread(&t2);
            Some(self.pipeline(context, Kind::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe,
        })
    }

    fn template_name(&mut self, t: &Item, context: &str) -> PResult<String> {
        match t.kind {
            Kind::String | Kind::RawString => unquote_name(&t.val).map_err(|e| self.errorf(e)),
            _ => Err(self.unexpected(t, context)),
        }
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        let first = self.peek_non_space();
        let mut pipe = Pipe {
            pos: first.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            self.next_non_space();
            let after = self.peek();
            let next = self.peek_non_space();
            if next.kind == Kind::Assign || next.kind == Kind::Declare {
                pipe.is_assign = next.kind == Kind::Assign;
                self.next_non_space();
                pipe.decl.push(v.val.clone());
                self.vars.push(v.val.clone());
            } else if next.kind == Kind::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(v.val.clone());
                self.vars.push(v.val.clone());
                if context == "range" && pipe.decl.len() < 2 {
                    let k = self.peek_non_space().kind;
                    if matches!(k, Kind::Variable | Kind::RightDelim | Kind::RightParen) {
                        continue;
                    }
                    return Err(self.errorf("range can only initialize variables"));
                }
                return Err(self.errorf(format!("too many declarations in {context}")));
            } else {
                let _ = after;
                self.unread(&v);
            }
            break;
        }
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                if pipe.cmds.is_empty() {
                    return Err(self.errorf(format!("missing value for {context}")));
                }
                for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
                    if matches!(
                        c.args.first(),
                        Some(
                            Arg::Bool { .. }
                                | Arg::Dot { .. }
                                | Arg::Nil { .. }
                                | Arg::Number { .. }
                                | Arg::Str { .. }
                        )
                    ) {
                        return Err(self.errorf(format!(
                            "non executable command in pipeline stage {}",
                            i + 1
                        )));
                    }
                }
                return Ok(pipe);
            }
            match t.kind {
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.unread(&t);
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return Err(self.unexpected(&t, context)),
            }
        }
    }

    fn command(&mut self) -> PResult<Cmd> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Cmd {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.unread(&t),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(&t, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        let p = self.peek();
        if p.kind != Kind::Field {
            return Ok(Some(node));
        }
        let chain_pos = p.pos;
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            let f = self.next();
            fields.push(f.val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Var { mut idents, .. } => {
                idents.extend(fields);
                Arg::Var {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Bool { .. }
            | Arg::Str { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                return Err(self.errorf(format!(
                    "unexpected . after term {}",
                    super::gofmt::quote(&node.to_string())
                )));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        Ok(Some(match t.kind {
            Kind::Identifier => {
                if !(self.has_function)(&t.val) {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        super::gofmt::quote(&t.val)
                    )));
                }
                Arg::Ident {
                    pos: t.pos,
                    name: t.val,
                }
            }
            Kind::Dot => Arg::Dot { pos: t.pos },
            Kind::Nil => Arg::Nil { pos: t.pos },
            Kind::Variable => {
                let idents: Vec<String> = t.val.split('.').map(str::to_string).collect();
                if !self.vars.iter().any(|v| *v == idents[0]) {
                    return Err(self.errorf(format!(
                        "undefined variable {}",
                        super::gofmt::quote(&idents[0])
                    )));
                }
                Arg::Var { pos: t.pos, idents }
            }
            Kind::Field => Arg::Field {
                pos: t.pos,
                idents: vec![t.val[1..].to_string()],
            },
            Kind::Bool => Arg::Bool {
                pos: t.pos,
                val: t.val == "true",
            },
            Kind::CharConstant | Kind::Complex | Kind::Number => {
                let num = new_number(&t.val, t.kind).map_err(|e| self.errorf(e))?;
                Arg::Number { pos: t.pos, num }
            }
            Kind::LeftParen => {
                if self.stack_depth >= MAX_STACK_DEPTH {
                    return Err(self.errorf("max expression depth exceeded"));
                }
                self.stack_depth += 1;
                let r = self.pipeline("parenthesized pipeline", Kind::RightParen);
                self.stack_depth -= 1;
                Arg::Pipe(Box::new(r?))
            }
            Kind::String | Kind::RawString => {
                let text = unquote(&t.val).map_err(|e| self.errorf(e))?;
                Arg::Str {
                    pos: t.pos,
                    quoted: t.val,
                    text: text.into(),
                }
            }
            _ => {
                self.unread(&t);
                return Ok(None);
            }
        }))
    }
}

enum Parsed {
    Node(Node),
    End,
    Else(Stop),
}

fn is_empty_tree(list: &[Node]) -> bool {
    list.iter()
        .all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
}

/// Go's `strconv.Unquote` for the three quote styles, as bytes: `\x` and octal escapes are
/// single raw bytes (Go strings need not be UTF-8), `\u`/`\U` are UTF-8 encoded.
pub fn unquote(s: &str) -> Result<Vec<u8>, String> {
    unquote_runes(s).map(|(bytes, _)| bytes)
}

/// [`unquote`] as text, for template names (Go compares them as strings; U+FFFD stands in
/// for raw bytes, which never name a real template here).
pub fn unquote_name(s: &str) -> Result<String, String> {
    unquote(s).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The unquoted bytes and, for each escape or character, the rune value Go's
/// `strconv.UnquoteChar` gives it (character constants take the first).
fn unquote_runes(s: &str) -> Result<(Vec<u8>, Vec<u32>), String> {
    let bad = || "invalid syntax".to_string();
    if s.len() < 2 {
        return Err(bad());
    }
    let q = s.as_bytes()[0];
    if !matches!(q, b'"' | b'\'' | b'`') || q != s.as_bytes()[s.len() - 1] {
        return Err(bad());
    }
    let body = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if body.contains('`') {
                return Err(bad());
            }
            let text = body.replace('\r', "");
            let runes = text.chars().map(u32::from).collect();
            Ok((text.into_bytes(), runes))
        }
        b'"' | b'\'' => {
            let mut out = Vec::new();
            let mut runes = Vec::new();
            let mut it = body.chars().peekable();
            let push_char = |out: &mut Vec<u8>, c: char| {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            };
            while let Some(c) = it.next() {
                if c == q as char || c == '\n' {
                    return Err(bad());
                }
                if c != '\\' {
                    push_char(&mut out, c);
                    runes.push(u32::from(c));
                    continue;
                }
                let e = it.next().ok_or_else(bad)?;
                let simple = match e {
                    'a' => Some('\x07'),
                    'b' => Some('\x08'),
                    'f' => Some('\x0c'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\x0b'),
                    '\\' => Some('\\'),
                    '\'' if q == b'\'' => Some('\''),
                    '"' if q == b'"' => Some('"'),
                    _ => None,
                };
                if let Some(c) = simple {
                    out.push(c as u8);
                    runes.push(u32::from(c));
                    continue;
                }
                match e {
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n).filter_map(|_| it.next()).collect();
                        if hex.len() != n || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(bad());
                        }
                        let v = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
                        if e == 'x' {
                            out.push(u8::try_from(v).map_err(|_| bad())?);
                        } else {
                            push_char(&mut out, char::from_u32(v).ok_or_else(bad)?);
                        }
                        runes.push(v);
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let d = it.next().and_then(|c| c.to_digit(8)).ok_or_else(bad)?;
                            v = v * 8 + d;
                        }
                        out.push(u8::try_from(v).map_err(|_| bad())?);
                        runes.push(v);
                    }
                    _ => return Err(bad()),
                }
            }
            if q == b'\'' && runes.len() != 1 {
                return Err(bad());
            }
            Ok((out, runes))
        }
        _ => Err(bad()),
    }
}

fn new_number(text: &str, kind: Kind) -> Result<Number, String> {
    let mut n = Number {
        text: text.to_string(),
        is_int: false,
        is_uint: false,
        is_float: false,
        int: 0,
        float: 0.0,
    };
    if kind == Kind::CharConstant {
        let (_, runes) =
            unquote_runes(text).map_err(|_| format!("malformed character constant: {text}"))?;
        let c = runes
            .first()
            .copied()
            .ok_or_else(|| format!("malformed character constant: {text}"))?;
        n.int = i64::from(c);
        n.is_int = true;
        n.is_uint = true;
        n.float = f64::from(c);
        n.is_float = true;
        return Ok(n);
    }
    if kind == Kind::Complex || text.ends_with('i') {
        return Err(format!(
            "illegal number syntax: {}",
            super::gofmt::quote(text)
        ));
    }
    let int = strconv::parse_int(text, 0, 64).ok();
    // Unsigned: what ParseUint takes (no sign, so `+1` is not), and any zero (`-0`).
    let uint = strconv::parse_uint(text, 0, 64)
        .ok()
        .or(int.filter(|&i| i == 0).map(|_| 0));
    n.is_uint = uint.is_some();
    if let Some(i) = int {
        n.is_int = true;
        n.int = i;
        n.is_float = true;
        n.float = i as f64;
    } else if let Some(u) = uint {
        n.is_float = true;
        n.float = u as f64;
    } else if let Ok(f) = text.replace('_', "").parse::<f64>() {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", super::gofmt::quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
            n.is_int = true;
            n.int = f as i64;
        }
        if f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64 {
            n.is_uint = true;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            super::gofmt::quote(text)
        ));
    }
    Ok(n)
}
