//! Opaque keyset cursors. A position is a list of integers, signed with a key derived from the
//! token signing key (so every instance and every restart accepts the cursors of the others),
//! and a cursor whose signature does not verify is a 400: a client can only hand back a position
//! this server gave it, never one it made up (`9223372036854775807`, say).

use crate::error::{ApiError, ApiResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of the HMAC kept in a cursor: forging one takes 2^64 tries, each a request.
const TAG_BYTES: usize = 8;

pub struct Cursors {
    key: Vec<u8>,
}

impl Cursors {
    /// `secret`: key material shared by every instance (the newest token signing key).
    pub fn new(secret: &[u8]) -> Self {
        let mut key = b"imserver cursor key:".to_vec();
        key.extend_from_slice(secret);
        Self { key }
    }

    fn tag(&self, text: &str) -> String {
        // An HMAC takes keys of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(text.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..TAG_BYTES])
    }

    pub fn encode(&self, parts: &[i64]) -> String {
        let text = parts
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(":");
        let tag = self.tag(&text);
        URL_SAFE_NO_PAD.encode(format!("c2:{text}.{tag}"))
    }

    /// The cursor after the last row of a page, only when more rows follow.
    pub fn next<T>(&self, more: bool, rows: &[T], key: impl Fn(&T) -> i64) -> Option<String> {
        rows.last().filter(|_| more).map(|r| self.encode(&[key(r)]))
    }

    /// The position of a cursor this server issued with `arity` parts; anything else is a 400.
    pub fn decode(&self, raw: &str, arity: usize) -> ApiResult<Vec<i64>> {
        let bad = || ApiError::invalid(format!("cursor [{raw}] is not valid"));
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (body, tag) = text
            .strip_prefix("c2:")
            .and_then(|t| t.rsplit_once('.'))
            .ok_or_else(bad)?;
        let expected = self.tag(body);
        if expected.is_empty() || !constant_time_eq(tag.as_bytes(), expected.as_bytes()) {
            return Err(bad());
        }
        let parts: Vec<i64> = body
            .split(':')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        if parts.len() != arity {
            return Err(bad());
        }
        Ok(parts)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursors::new(b"k");
        let issued = c.encode(&[42, -7]);
        assert_eq!(c.decode(&issued, 2).unwrap(), vec![42, -7]);
        assert!(c.decode(&issued, 1).is_err());
        assert!(c.decode("garbage!", 1).is_err());
        assert!(c.decode("Zm9v", 1).is_err());
    }

    #[test]
    fn a_cursor_this_server_did_not_issue_is_refused() {
        let c = Cursors::new(b"k");
        // The unsigned form of earlier versions, at the edge of bigint.
        assert!(c.decode("YzE6OTIyMzM3MjAzNjg1NDc3NTgwNw", 1).is_err());
        let forged = URL_SAFE_NO_PAD.encode("c2:9223372036854775807.0000000000000000");
        assert!(c.decode(&forged, 1).is_err());
        // Another key's cursor, and a changed position under a kept tag.
        let other = Cursors::new(b"other").encode(&[5]);
        assert!(c.decode(&other, 1).is_err());
        let issued = String::from_utf8(URL_SAFE_NO_PAD.decode(c.encode(&[5])).unwrap()).unwrap();
        let moved = URL_SAFE_NO_PAD.encode(issued.replacen("c2:5", "c2:6", 1));
        assert!(c.decode(&moved, 1).is_err());
    }
}
