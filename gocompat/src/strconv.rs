//! Go's `strconv`: quoting, `ParseBool`, `ParseInt`/`ParseUint` and float formatting.

mod float;
mod parse_bool;
mod parse_int;
mod quote;

pub use float::{format_e, format_f, format_g, format_g32};
pub use parse_bool::{ParseBoolError, parse_bool};
pub use parse_int::{NumError, NumErrorKind, parse_int, parse_uint};
pub use quote::{can_backquote, is_print, quote, quote_bytes, quote_rune};
