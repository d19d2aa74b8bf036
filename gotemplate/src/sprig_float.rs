//! Sprig's decimal float arithmetic: `add1f addf subf mulf divf`. Sprig converts every
//! operand to float64 (spf13/cast), then to an exact decimal (shopspring/decimal's
//! `NewFromFloat`: the shortest decimal that reads back as the same float), computes in
//! decimal, and converts back to the nearest float64. So `addf 0.1 0.2` is `0.3`, not
//! `0.30000000000000004`. Division keeps 16 decimal places, rounding half away from zero.

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use super::conv::to_f64;
use super::func::{Func, Ty};
use super::value::Value;

/// shopspring/decimal's `DivisionPrecision`.
const DIVISION_PRECISION: i64 = 16;

/// Exponents beyond this are refused rather than expanded into huge powers of ten (floats
/// never need more than a few hundred).
const MAX_EXPONENT_GAP: i64 = 4096;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "add1f" => Func::new(&[Any], |v| fold(&v[0], &[Value::Int(1)], Decimal::add)),
        "addf" => Func::var(&[], Any, |v| fold(&Value::Float(0.0), &v, Decimal::add)),
        "subf" => Func::var(&[Any], Any, |v| fold(&v[0], &v[1..], Decimal::sub)),
        "mulf" => Func::var(&[Any], Any, |v| fold(&v[0], &v[1..], Decimal::mul)),
        "divf" => Func::var(&[Any], Any, |v| fold(&v[0], &v[1..], Decimal::div)),
        _ => return None,
    })
}

type Op = fn(Decimal, Decimal) -> Result<Decimal, String>;

fn fold(first: &Value, rest: &[Value], op: Op) -> Result<Value, String> {
    let mut acc = Decimal::from_f64(to_f64(first))?;
    for x in rest {
        acc = op(acc, Decimal::from_f64(to_f64(x))?)?;
    }
    Ok(Value::Float(acc.to_f64()))
}

/// `value × 10^exp`.
#[derive(Debug, Clone, PartialEq)]
struct Decimal {
    value: BigInt,
    exp: i64,
}

fn pow10(n: i64) -> Result<BigInt, String> {
    if n > MAX_EXPONENT_GAP {
        return Err("overflow in decimal QuoRem".into());
    }
    Ok(num_traits::pow(BigInt::from(10), n.max(0) as usize))
}

impl Decimal {
    fn from_f64(f: f64) -> Result<Decimal, String> {
        if f.is_nan() {
            return Err("Cannot create a Decimal from NaN".into());
        }
        if f.is_infinite() {
            let sign = if f > 0.0 { '+' } else { '-' };
            return Err(format!("Cannot create a Decimal from {sign}Inf"));
        }
        if f == 0.0 {
            return Ok(Decimal {
                value: BigInt::zero(),
                exp: 0,
            });
        }
        // `{:e}` prints the shortest digits that read back as `f`, as Go's 'g' -1 does.
        let text = format!("{f:e}");
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let exp: i64 = exp.parse().map_err(|_| "bad float exponent".to_string())?;
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits: BigInt = format!("{int}{frac}")
            .parse()
            .map_err(|_| "bad float digits".to_string())?;
        Ok(Decimal {
            value: digits,
            exp: exp - frac.len() as i64,
        })
    }

    /// The nearest float64 (ties to even), as `big.Rat.Float64`.
    fn to_f64(&self) -> f64 {
        format!("{}e{}", self.value, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// Both values on the smaller exponent.
    fn aligned(a: Decimal, b: Decimal) -> Result<(BigInt, BigInt, i64), String> {
        let exp = a.exp.min(b.exp);
        Ok((
            a.value * pow10(a.exp - exp)?,
            b.value * pow10(b.exp - exp)?,
            exp,
        ))
    }

    fn add(a: Decimal, b: Decimal) -> Result<Decimal, String> {
        let (x, y, exp) = Decimal::aligned(a, b)?;
        Ok(Decimal { value: x + y, exp })
    }

    fn sub(a: Decimal, b: Decimal) -> Result<Decimal, String> {
        let (x, y, exp) = Decimal::aligned(a, b)?;
        Ok(Decimal { value: x - y, exp })
    }

    fn mul(a: Decimal, b: Decimal) -> Result<Decimal, String> {
        Ok(Decimal {
            value: a.value * b.value,
            exp: a.exp + b.exp,
        })
    }

    /// shopspring's `DivRound(b, 16)`: the quotient truncated to 16 places, then one unit
    /// away from zero when the remainder is at least half a unit.
    fn div(a: Decimal, b: Decimal) -> Result<Decimal, String> {
        if b.value.is_zero() {
            return Err("decimal division by 0".into());
        }
        let shift = a.exp - b.exp + DIVISION_PRECISION;
        let (num, den) = if shift >= 0 {
            (a.value * pow10(shift)?, b.value)
        } else {
            (a.value, b.value * pow10(-shift)?)
        };
        let mut q = &num / &den;
        let r = &num - &q * &den;
        if r.abs() * 2 >= den.abs() {
            if num.is_negative() != den.is_negative() {
                q -= 1;
            } else {
                q += 1;
            }
        }
        Ok(Decimal {
            value: q,
            exp: -DIVISION_PRECISION,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calc(op: Op, x: f64, y: f64) -> f64 {
        op(
            Decimal::from_f64(x).expect("finite"),
            Decimal::from_f64(y).expect("finite"),
        )
        .expect("op")
        .to_f64()
    }

    #[test]
    fn decimal_arithmetic_like_shopspring() {
        assert_eq!(calc(Decimal::add, 0.1, 0.2), 0.3);
        assert_eq!(calc(Decimal::sub, 1.0, 0.9), 0.1);
        assert_eq!(calc(Decimal::mul, 1.1, 1.1), 1.21);
        assert_eq!(calc(Decimal::div, 1.0, 3.0), 0.3333333333333333);
        assert_eq!(calc(Decimal::div, 2.0, 3.0), 0.6666666666666667);
        assert_eq!(calc(Decimal::div, -2.0, 3.0), -0.6666666666666667);
        assert_eq!(calc(Decimal::mul, 1e300, 1e300), f64::INFINITY);
        assert!(
            Decimal::div(
                Decimal::from_f64(1.0).expect("finite"),
                Decimal::from_f64(0.0).expect("finite")
            )
            .is_err()
        );
    }
}
