use crate::DomainError;

/// How token lifetimes are chosen: the default when none is asked for, and the ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlPolicy {
    pub default_secs: i64,
    pub max_secs: i64,
}

/// A requested token lifetime, resolved against a [`TtlPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl(i64);

impl Ttl {
    /// `raw` is the `ttl` field as sent: absent, `""`, a number or a numeric string.
    /// Absent or empty means the default; `0` means the maximum (never truly infinite); a value
    /// above the maximum is cut to it. The result always fits in a signed 32-bit integer.
    pub fn resolve(raw: Option<&str>, policy: TtlPolicy) -> Result<Self, DomainError> {
        let max = policy.max_secs.clamp(1, i64::from(i32::MAX));
        let secs = match raw.map(str::trim) {
            None | Some("") => policy.default_secs,
            Some(s) => {
                let not_a_number = || DomainError::illegal(format!("ttl [{s}] is not a number"));
                let n: i64 = match s.parse::<i64>() {
                    Ok(n) => n,
                    // A float is read only when it is a finite, non-negative number of seconds:
                    // NaN, infinities and overflowing exponents are not lifetimes.
                    Err(_) => match s.parse::<f64>() {
                        Ok(f) if f.is_finite() && f >= 0.0 => f.min(i64::MAX as f64) as i64,
                        Ok(f) if f.is_finite() => {
                            return Err(DomainError::illegal(format!(
                                "ttl [{s}] must not be negative"
                            )))
                        }
                        _ => return Err(not_a_number()),
                    },
                };
                if n < 0 {
                    return Err(DomainError::illegal(format!(
                        "ttl [{s}] must not be negative"
                    )));
                }
                if n == 0 {
                    max
                } else {
                    n
                }
            }
        };
        Ok(Self(secs.clamp(1, max)))
    }

    pub fn secs(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: TtlPolicy = TtlPolicy {
        default_secs: 5_184_000,
        max_secs: 315_360_000,
    };

    #[test]
    fn ttl_resolves_each_documented_form() {
        let cases: &[(Option<&str>, i64)] = &[
            (None, 5_184_000),
            (Some(""), 5_184_000),
            (Some("1024000"), 1_024_000),
            (Some(" 60 "), 60),
            (Some("0"), 315_360_000),
            (Some("999999999999"), 315_360_000),
            (Some("1.5e3"), 1500),
        ];
        for (raw, want) in cases {
            assert_eq!(
                Ttl::resolve(*raw, POLICY).map(Ttl::secs),
                Ok(*want),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn ttl_rejects_garbage_and_negatives() {
        assert!(Ttl::resolve(Some("abc"), POLICY).is_err());
        for bad in [
            "-5", "NaN", "nan", "inf", "-inf", "infinity", "-0.5", "1e999", "-1e999",
        ] {
            assert!(Ttl::resolve(Some(bad), POLICY).is_err(), "{bad}");
        }
    }

    #[test]
    fn ttl_always_fits_in_i32() {
        let huge = TtlPolicy {
            default_secs: 1,
            max_secs: i64::MAX,
        };
        assert_eq!(
            Ttl::resolve(Some("0"), huge).map(Ttl::secs),
            Ok(i64::from(i32::MAX))
        );
    }
}
