//! Serde helpers for what real clients send: numbers as strings, ids as numbers, booleans as
//! strings.

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;

/// A string, or a number written as one. A boolean is refused: no string field means one. So
/// is a NUL character, which PostgreSQL cannot store in text (every text field is read here).
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.contains('\0') => Err(de::Error::custom(
            "the text contains a NUL character (\\u0000)",
        )),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(de::Error::custom(format!("expected a string, got {other}"))),
    }
}

/// An integer, or a string holding one. `""` reads as absent.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("{n} is not an integer"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("{s} is not an integer"))),
        Some(other) => Err(de::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}

/// A boolean, or `"true"`/`"false"` (any case), or 0/1.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(de::Error::custom(format!("{s} is not a boolean"))),
        },
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            _ => Err(de::Error::custom(format!("{n} is not a boolean"))),
        },
        Some(other) => Err(de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
    }

    fn parse(j: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(j)
    }

    #[test]
    fn numbers_strings_and_bools_are_read_leniently() {
        let t = parse(r#"{"n":"300","s":1798,"b":"TRUE"}"#).unwrap();
        assert_eq!(
            (t.n, t.s.as_deref(), t.b),
            (Some(300), Some("1798"), Some(true))
        );
        let t = parse(r#"{"n":300.0,"s":"x","b":false}"#).unwrap();
        assert_eq!(
            (t.n, t.s.as_deref(), t.b),
            (Some(300), Some("x"), Some(false))
        );
        let t = parse(r#"{"n":""}"#).unwrap();
        assert_eq!((t.n, t.s, t.b), (None, None, None));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(r#"{"n":"abc"}"#).is_err());
        assert!(parse(r#"{"n":1.5}"#).is_err());
        assert!(parse(r#"{"b":"maybe"}"#).is_err());
        assert!(parse(r#"{"s":[1]}"#).is_err());
        assert!(parse(r#"{"s":false}"#).is_err());
        assert!(parse(r#"{"s":true}"#).is_err());
        assert!(parse(r#"{"s":"a\u0000b"}"#).is_err());
    }
}
