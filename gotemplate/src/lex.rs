//! Tokenizer for Go template source, following `text/template/parse`'s lexer: the same
//! token kinds, trim-marker rules and error texts.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords (printed as `<word>` in errors).
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Kind {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Kind::Block
                | Kind::Break
                | Kind::Continue
                | Kind::Dot
                | Kind::Define
                | Kind::Else
                | Kind::End
                | Kind::If
                | Kind::Nil
                | Kind::Range
                | Kind::Template
                | Kind::With
        )
    }
}

#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    pub pos: usize,
    pub val: String,
    pub line: usize,
    /// Index in the token list, so the parser can step back onto it.
    pub idx: usize,
}

impl std::fmt::Display for Item {
    /// How the parser names a token in "unexpected ..." messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            Kind::Eof => f.write_str("EOF"),
            Kind::Error => f.write_str(&self.val),
            k if k.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                write!(f, "{}...", super::gofmt::quote(&head))
            }
            _ => f.write_str(&super::gofmt::quote(&self.val)),
        }
    }
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn trim_right_len(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn trim_left_len(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

struct Lexer<'a> {
    input: &'a str,
    start: usize,
    pos: usize,
    paren_depth: i32,
    items: Vec<Item>,
    /// Line number at `line_pos`, so counting newlines stays linear in the input.
    line_pos: usize,
    line_no: usize,
}

/// Tokenizes the whole input; the list ends with `Eof` or `Error`.
pub fn lex(input: &str) -> Vec<Item> {
    let mut l = Lexer {
        input,
        start: 0,
        pos: 0,
        paren_depth: 0,
        items: Vec::new(),
        line_pos: 0,
        line_no: 1,
    };
    let mut inside = false;
    loop {
        let r = if inside { l.inside_action() } else { l.text() };
        match r {
            State::Text => inside = false,
            State::Inside => inside = true,
            State::Done => break,
        }
    }
    for (i, it) in l.items.iter_mut().enumerate() {
        it.idx = i;
    }
    l.items
}

enum State {
    Text,
    Inside,
    Done,
}

impl<'a> Lexer<'a> {
    fn line_at(&mut self, pos: usize) -> usize {
        if pos < self.line_pos {
            self.line_pos = 0;
            self.line_no = 1;
        }
        self.line_no += self.input[self.line_pos..pos]
            .bytes()
            .filter(|&b| b == b'\n')
            .count();
        self.line_pos = pos;
        self.line_no
    }

    fn emit(&mut self, kind: Kind) {
        let val = self.input[self.start..self.pos].to_string();
        let line = self.line_at(self.start);
        self.items.push(Item {
            kind,
            pos: self.start,
            val,
            line,
            idx: 0,
        });
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) -> State {
        let line = self.line_at(self.start);
        self.items.push(Item {
            kind: Kind::Error,
            pos: self.start,
            val: msg,
            line,
            idx: 0,
        });
        State::Done
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
        }
    }

    fn text(&mut self) -> State {
        if let Some(x) = self.rest().find(LEFT) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT.len();
                let trim = if has_left_trim(&self.input[delim_end..]) {
                    trim_right_len(&self.input[self.start..self.pos])
                } else {
                    0
                };
                let text_end = self.pos - trim;
                if text_end > self.start {
                    let line = self.line_at(self.start);
                    self.items.push(Item {
                        kind: Kind::Text,
                        pos: self.start,
                        val: self.input[self.start..text_end].to_string(),
                        line,
                        idx: 0,
                    });
                }
                self.start = self.pos;
            }
            return self.left_delim();
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.emit(Kind::Text);
        }
        self.emit(Kind::Eof);
        State::Done
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        (rest.starts_with(RIGHT), false)
    }

    fn left_delim(&mut self) -> State {
        self.pos += LEFT.len();
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.input[self.pos + after..].starts_with(LEFT_COMMENT) {
            self.pos += after;
            self.start = self.pos;
            return self.comment();
        }
        self.emit(Kind::LeftDelim);
        self.pos += after;
        self.start = self.pos;
        self.paren_depth = 0;
        State::Inside
    }

    fn comment(&mut self) -> State {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.pos += trim_left_len(self.rest());
        }
        self.start = self.pos;
        State::Text
    }

    fn right_delim(&mut self) -> State {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += 2;
            self.start = self.pos;
        }
        self.pos += RIGHT.len();
        self.emit(Kind::RightDelim);
        if trim {
            self.pos += trim_left_len(self.rest());
            self.start = self.pos;
        }
        State::Text
    }

    fn inside_action(&mut self) -> State {
        loop {
            let (delim, _) = self.at_right_delim();
            if delim {
                if self.paren_depth == 0 {
                    return self.right_delim();
                }
                return self.error("unclosed left paren".into());
            }
            let c = self.next();
            match c {
                None => return self.error("unclosed action".into()),
                Some(c) if is_space(c) => {
                    self.backup(Some(c));
                    if let Some(s) = self.space() {
                        return s;
                    }
                }
                Some('=') => self.emit(Kind::Assign),
                Some(':') => {
                    if self.next() != Some('=') {
                        return self.error("expected :=".into());
                    }
                    self.emit(Kind::Declare);
                }
                Some('|') => self.emit(Kind::Pipe),
                Some('"') => {
                    if let Some(s) = self.quote() {
                        return s;
                    }
                }
                Some('`') => {
                    if let Some(s) = self.raw_quote() {
                        return s;
                    }
                }
                Some('$') => {
                    if let Some(s) = self.variable() {
                        return s;
                    }
                }
                Some('\'') => {
                    if let Some(s) = self.char_const() {
                        return s;
                    }
                }
                Some('.') if self.peek().is_some_and(|d| !d.is_ascii_digit()) => {
                    if let Some(s) = self.field_or_variable(Kind::Field) {
                        return s;
                    }
                }
                Some(c) if c == '.' || c == '+' || c == '-' || c.is_ascii_digit() => {
                    self.backup(Some(c));
                    if let Some(s) = self.number() {
                        return s;
                    }
                }
                Some(c) if is_alnum(c) => {
                    self.backup(Some(c));
                    if let Some(s) = self.identifier() {
                        return s;
                    }
                }
                Some('(') => {
                    self.paren_depth += 1;
                    self.emit(Kind::LeftParen);
                }
                Some(')') => {
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        return self.error("unexpected right paren".into());
                    }
                    self.emit(Kind::RightParen);
                }
                Some(c) if c.is_ascii() && !c.is_ascii_control() => self.emit(Kind::Char),
                Some(c) => {
                    return self.error(format!(
                        "unrecognized character in action: {}",
                        unicode_name(c)
                    ));
                }
            }
        }
    }

    fn space(&mut self) -> Option<State> {
        let mut n = 0;
        while self.peek().is_some_and(is_space) {
            self.next();
            n += 1;
        }
        let before = self.pos - 1;
        if has_right_trim(&self.input[before..]) && self.input[before + 2..].starts_with(RIGHT) {
            self.pos -= 1;
            if n == 1 {
                return Some(self.right_delim());
            }
        }
        self.emit(Kind::Space);
        None
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT),
        }
    }

    fn identifier(&mut self) -> Option<State> {
        loop {
            let c = self.next();
            if c.is_some_and(is_alnum) {
                continue;
            }
            self.backup(c);
            if !self.at_terminator() {
                return Some(self.error(format!("bad character {}", unicode_name_opt(c))));
            }
            let word = &self.input[self.start..self.pos];
            let kind = match word {
                "block" => Kind::Block,
                "break" => Kind::Break,
                "continue" => Kind::Continue,
                "define" => Kind::Define,
                "else" => Kind::Else,
                "end" => Kind::End,
                "if" => Kind::If,
                "range" => Kind::Range,
                "nil" => Kind::Nil,
                "template" => Kind::Template,
                "with" => Kind::With,
                "." => Kind::Dot,
                "true" | "false" => Kind::Bool,
                _ => Kind::Identifier,
            };
            self.emit(kind);
            return None;
        }
    }

    fn variable(&mut self) -> Option<State> {
        if self.at_terminator() {
            self.emit(Kind::Variable);
            return None;
        }
        self.field_or_variable(Kind::Variable)
    }

    fn field_or_variable(&mut self, kind: Kind) -> Option<State> {
        if self.at_terminator() {
            self.emit(if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            });
            return None;
        }
        let mut c;
        loop {
            c = self.next();
            if !c.is_some_and(is_alnum) {
                self.backup(c);
                break;
            }
        }
        if !self.at_terminator() {
            return Some(self.error(format!("bad character {}", unicode_name_opt(c))));
        }
        self.emit(kind);
        None
    }

    fn char_const(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    None | Some('\n') => {
                        return Some(self.error("unterminated character constant".into()));
                    }
                    _ => {}
                },
                None | Some('\n') => {
                    return Some(self.error("unterminated character constant".into()));
                }
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(Kind::CharConstant);
        None
    }

    fn accept(&mut self, valid: &str) -> bool {
        if let Some(c) = self.peek()
            && valid.contains(c)
        {
            self.next();
            return true;
        }
        false
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }

    fn number(&mut self) -> Option<State> {
        if !self.scan_number() {
            let msg = format!(
                "bad number syntax: {}",
                super::gofmt::quote(&self.input[self.start..self.pos])
            );
            return Some(self.error(msg));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let msg = format!(
                    "bad number syntax: {}",
                    super::gofmt::quote(&self.input[self.start..self.pos])
                );
                return Some(self.error(msg));
            }
            self.emit(Kind::Complex);
            return None;
        }
        self.emit(Kind::Number);
        None
    }

    fn quote(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    None | Some('\n') => {
                        return Some(self.error("unterminated quoted string".into()));
                    }
                    _ => {}
                },
                None | Some('\n') => return Some(self.error("unterminated quoted string".into())),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(Kind::String);
        None
    }

    fn raw_quote(&mut self) -> Option<State> {
        loop {
            match self.next() {
                None => return Some(self.error("unterminated raw quoted string".into())),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Kind::RawString);
        None
    }
}

/// Go's `%#U`: `U+0041 'A'`.
fn unicode_name(c: char) -> String {
    if super::gofmt::is_print(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

fn unicode_name_opt(c: Option<char>) -> String {
    match c {
        Some(c) => unicode_name(c),
        None => "U+FFFFFFFFFFFFFFFF".into(),
    }
}
