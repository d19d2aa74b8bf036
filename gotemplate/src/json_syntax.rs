//! The first syntax error of a JSON text, worded as Go's `encoding/json` scanner words it
//! (`json.Unmarshal` checks the whole input before decoding). Only the error text comes from
//! here; valid input is decoded with serde_json.

use super::gofmt;

/// Go's `maxNestingDepth`.
const MAX_DEPTH: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nest {
    ObjectKey,
    ObjectValue,
    Array,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    BeginValue,
    BeginValueOrEmpty,
    BeginString,
    BeginStringOrEmpty,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    /// Inside `\u`, with this many hex digits still to come.
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    /// Inside `true`, `false` or `null`: the rest still expected and the literal's name.
    Literal(&'static [u8], &'static str),
}

/// Go's `quoteChar`: the byte as a one-character Go literal.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            let q = gofmt::quote(&char::from(c).to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

fn invalid(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

struct Scanner {
    state: State,
    stack: Vec<Nest>,
}

impl Scanner {
    fn push(&mut self, c: u8, nest: Nest, next: State) -> Result<(), String> {
        self.stack.push(nest);
        if self.stack.len() > MAX_DEPTH {
            return Err(invalid(c, "exceeded max depth"));
        }
        self.state = next;
        Ok(())
    }

    fn pop(&mut self) {
        self.stack.pop();
        self.state = if self.stack.is_empty() {
            State::EndTop
        } else {
            State::EndValue
        };
    }

    fn step(&mut self, c: u8) -> Result<(), String> {
        let space = matches!(c, b' ' | b'\t' | b'\r' | b'\n');
        let hex = c.is_ascii_hexdigit();
        match self.state {
            State::BeginValueOrEmpty if space => Ok(()),
            State::BeginValueOrEmpty if c == b']' => self.end_value(c),
            State::BeginValue | State::BeginValueOrEmpty => self.begin_value(c, space),
            State::BeginStringOrEmpty if space => Ok(()),
            State::BeginStringOrEmpty if c == b'}' => {
                if let Some(top) = self.stack.last_mut() {
                    *top = Nest::ObjectValue;
                }
                self.end_value(c)
            }
            State::BeginString | State::BeginStringOrEmpty => {
                if space {
                    Ok(())
                } else if c == b'"' {
                    self.state = State::InString;
                    Ok(())
                } else {
                    Err(invalid(c, "looking for beginning of object key string"))
                }
            }
            State::EndValue => self.end_value(c),
            State::EndTop if space => Ok(()),
            State::EndTop => Err(invalid(c, "after top-level value")),
            State::InString => {
                match c {
                    b'"' => self.state = State::EndValue,
                    b'\\' => self.state = State::InStringEsc,
                    _ if c < 0x20 => return Err(invalid(c, "in string literal")),
                    _ => {}
                }
                Ok(())
            }
            State::InStringEsc => {
                self.state = match c {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => State::InString,
                    b'u' => State::InStringEscU(4),
                    _ => return Err(invalid(c, "in string escape code")),
                };
                Ok(())
            }
            State::InStringEscU(left) => {
                if !hex {
                    return Err(invalid(c, "in \\u hexadecimal character escape"));
                }
                self.state = if left == 1 {
                    State::InString
                } else {
                    State::InStringEscU(left - 1)
                };
                Ok(())
            }
            State::Neg => {
                self.state = match c {
                    b'0' => State::Zero,
                    b'1'..=b'9' => State::One,
                    _ => return Err(invalid(c, "in numeric literal")),
                };
                Ok(())
            }
            State::One if c.is_ascii_digit() => Ok(()),
            State::One | State::Zero => match c {
                b'.' => {
                    self.state = State::Dot;
                    Ok(())
                }
                b'e' | b'E' => {
                    self.state = State::E;
                    Ok(())
                }
                _ => self.end_value(c),
            },
            State::Dot if c.is_ascii_digit() => {
                self.state = State::Dot0;
                Ok(())
            }
            State::Dot => Err(invalid(c, "after decimal point in numeric literal")),
            State::Dot0 | State::E0 if c.is_ascii_digit() => Ok(()),
            State::Dot0 if matches!(c, b'e' | b'E') => {
                self.state = State::E;
                Ok(())
            }
            State::Dot0 | State::E0 => self.end_value(c),
            State::E if matches!(c, b'+' | b'-') => {
                self.state = State::ESign;
                Ok(())
            }
            State::E | State::ESign if c.is_ascii_digit() => {
                self.state = State::E0;
                Ok(())
            }
            State::E | State::ESign => Err(invalid(c, "in exponent of numeric literal")),
            State::Literal(rest, name) => match rest.split_first() {
                Some((&want, more)) if want == c => {
                    self.state = if more.is_empty() {
                        State::EndValue
                    } else {
                        State::Literal(more, name)
                    };
                    Ok(())
                }
                Some((&want, _)) => Err(invalid(
                    c,
                    &format!("in literal {name} (expecting {})", quote_char(want)),
                )),
                None => self.end_value(c),
            },
        }
    }

    fn begin_value(&mut self, c: u8, space: bool) -> Result<(), String> {
        if space {
            return Ok(());
        }
        self.state = match c {
            b'{' => return self.push(c, Nest::ObjectKey, State::BeginStringOrEmpty),
            b'[' => return self.push(c, Nest::Array, State::BeginValueOrEmpty),
            b'"' => State::InString,
            b'-' => State::Neg,
            b'0' => State::Zero,
            b'1'..=b'9' => State::One,
            b't' => State::Literal(b"rue", "true"),
            b'f' => State::Literal(b"alse", "false"),
            b'n' => State::Literal(b"ull", "null"),
            _ => return Err(invalid(c, "looking for beginning of value")),
        };
        Ok(())
    }

    fn end_value(&mut self, c: u8) -> Result<(), String> {
        let space = matches!(c, b' ' | b'\t' | b'\r' | b'\n');
        let Some(top) = self.stack.last_mut() else {
            self.state = State::EndTop;
            return self.step(c);
        };
        if space {
            self.state = State::EndValue;
            return Ok(());
        }
        match (*top, c) {
            (Nest::ObjectKey, b':') => {
                *top = Nest::ObjectValue;
                self.state = State::BeginValue;
            }
            (Nest::ObjectKey, _) => return Err(invalid(c, "after object key")),
            (Nest::ObjectValue, b',') => {
                *top = Nest::ObjectKey;
                self.state = State::BeginString;
            }
            (Nest::ObjectValue, b'}') | (Nest::Array, b']') => self.pop(),
            (Nest::ObjectValue, _) => return Err(invalid(c, "after object key:value pair")),
            (Nest::Array, b',') => self.state = State::BeginValue,
            (Nest::Array, _) => return Err(invalid(c, "after array element")),
        }
        Ok(())
    }
}

/// Go's `checkValid`: `Err` is the text of the first syntax error.
pub fn check(data: &[u8]) -> Result<(), String> {
    let mut s = Scanner {
        state: State::BeginValue,
        stack: Vec::new(),
    };
    for &c in data {
        s.step(c)?;
    }
    // Go's `eof`: a space ends a number or shows a cut literal; anything else still open is
    // a truncated input.
    if s.state == State::EndTop {
        return Ok(());
    }
    s.step(b' ')?;
    if s.state == State::EndTop {
        return Ok(());
    }
    Err("unexpected end of JSON input".to_string())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn errors_as_go_words_them() {
        for (input, want) in [
            ("", "unexpected end of JSON input"),
            (" ", "unexpected end of JSON input"),
            ("{", "unexpected end of JSON input"),
            ("{\"a\" x", "invalid character 'x' after object key"),
            (
                "{\"a\":1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            (
                "tru",
                "invalid character ' ' in literal true (expecting 'e')",
            ),
            (
                "nul",
                "invalid character ' ' in literal null (expecting 'l')",
            ),
            ("\"abc", "unexpected end of JSON input"),
            ("\"a\x01\"", r"invalid character '\x01' in string literal"),
            (
                "1.",
                "invalid character ' ' after decimal point in numeric literal",
            ),
            ("-", "invalid character ' ' in numeric literal"),
            ("01", "invalid character '1' after top-level value"),
            ("1e", "invalid character ' ' in exponent of numeric literal"),
            (
                "{1:2}",
                "invalid character '1' looking for beginning of object key string",
            ),
            ("\"\\q\"", "invalid character 'q' in string escape code"),
            ("[1}", "invalid character '}' after array element"),
            ("é", "invalid character 'Ã' looking for beginning of value"),
        ] {
            assert_eq!(check(input.as_bytes()), Err(want.to_string()), "{input:?}");
        }
        for ok in [
            "{}",
            "[]",
            " [1, 2.5e-3, true, null, {\"a\": \"\\u00e9\"}] ",
            "0",
            "-0.1",
        ] {
            assert_eq!(check(ok.as_bytes()), Ok(()), "{ok:?}");
        }
    }
}
