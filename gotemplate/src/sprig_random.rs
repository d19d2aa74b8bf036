//! Sprig's random functions: `randAlphaNum randAlpha randAscii randNumeric` (goutils'
//! crypto-random strings), `randInt`, `randBytes`, `uuidv4` and `shuffle`. Each render gives
//! a new value, as upstream's does; a Secret built from them changes on every unseal.

use base64::Engine;
use rand::{Rng, RngExt};

use super::func::{Func, Ty, n, s};
use super::value::Value;

const MAX_RESULT: i64 = 16 << 20;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "randAlphaNum" => Func::new(&[Int], |v| random_string(n(&v, 0), Class::AlphaNum)),
        "randAlpha" => Func::new(&[Int], |v| random_string(n(&v, 0), Class::Alpha)),
        "randAscii" => Func::new(&[Int], |v| random_string(n(&v, 0), Class::Ascii)),
        "randNumeric" => Func::new(&[Int], |v| random_string(n(&v, 0), Class::Numeric)),
        "randInt" => Func::new(&[Int, Int], |v| rand_int(n(&v, 0), n(&v, 1))),
        "randBytes" => Func::new(&[Int], |v| rand_bytes(n(&v, 0))),
        "uuidv4" => Func::new(&[], |_| Ok(Value::str(uuid_v4()))),
        "shuffle" => Func::new(&[Str], |v| Ok(Value::str(shuffle(&s(&v, 0))))),
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum Class {
    AlphaNum,
    Alpha,
    Ascii,
    Numeric,
}

impl Class {
    fn alphabet(self) -> &'static [u8] {
        const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        const DIGITS: &[u8] = b"0123456789";
        const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        const ASCII: &[u8] = b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
        match self {
            Class::AlphaNum => ALNUM,
            Class::Alpha => LETTERS,
            Class::Ascii => ASCII,
            Class::Numeric => DIGITS,
        }
    }
}

/// goutils draws uniformly from the printable range and keeps what fits the class, which is
/// uniform over the class: so is this. A negative count is an error sprig drops (`""`).
fn random_string(count: i64, class: Class) -> Result<Value, String> {
    if count <= 0 {
        return Ok(Value::str(""));
    }
    if count > MAX_RESULT {
        return Err(format!("result larger than {MAX_RESULT} bytes"));
    }
    let alphabet = class.alphabet();
    let mut rng = rand::rng();
    let out: String = (0..count)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect();
    Ok(Value::str(out))
}

/// Go's `rand.Intn(max-min) + min`, which panics on an empty range.
fn rand_int(min: i64, max: i64) -> Result<Value, String> {
    match max.checked_sub(min) {
        Some(span) if span > 0 => Ok(Value::Int(rand::rng().random_range(0..span) + min)),
        _ => Err("invalid argument to Intn".into()),
    }
}

fn rand_bytes(count: i64) -> Result<Value, String> {
    if count < 0 {
        return Err("runtime error: makeslice: len out of range".into());
    }
    if count > MAX_RESULT {
        return Err(format!("result larger than {MAX_RESULT} bytes"));
    }
    let mut buf = vec![0u8; count as usize];
    rand::rng().fill_bytes(&mut buf);
    Ok(Value::str(
        base64::engine::general_purpose::STANDARD.encode(buf),
    ))
}

/// RFC 4122 version 4, lower-case hex, as google/uuid prints it.
fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// xstrings' `Shuffle`: a Fisher-Yates shuffle of the runes.
fn shuffle(x: &str) -> String {
    let mut runes: Vec<char> = x.chars().collect();
    let mut rng = rand::rng();
    for i in (1..runes.len()).rev() {
        let j = rng.random_range(0..=i);
        runes.swap(i, j);
    }
    runes.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let Ok(Value::Str(x)) = random_string(32, Class::AlphaNum) else {
            panic!("string")
        };
        assert!(x.len() == 32 && x.iter().all(|b| b.is_ascii_alphanumeric()));
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(rand_int(3, 3).is_err());
        assert!(matches!(rand_int(5, 6), Ok(Value::Int(5))));
        let mut s: Vec<char> = shuffle("abcab").chars().collect();
        s.sort_unstable();
        assert_eq!(s.into_iter().collect::<String>(), "aabbc");
    }
}
