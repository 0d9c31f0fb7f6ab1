//! Tokens (JWT, keys from the database); secret hashing lives in [`crate::hashing`].

use crate::error::{ApiError, ApiResult};
pub use crate::hashing::{Argon2Config, HashError, Hasher};
use jsonwebtoken::{decode, decode_header, encode, Algorithm as JwtAlg, DecodingKey, EncodingKey};
use jsonwebtoken::{errors::ErrorKind, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const TOKEN_ISSUER: &str = "imserver";

/// What a token says about its bearer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// `app` or `user`.
    pub typ: String,
    /// The app (tenant) uuid the token belongs to.
    pub app: Uuid,
    /// The client id (app tokens) or the user's uuid (user tokens).
    pub sub: String,
    /// The username, for user tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usr: Option<String>,
    pub iat: i64,
    pub exp: i64,
}

struct Key {
    kid: String,
    enc: EncodingKey,
    dec: DecodingKey,
}

/// Signs with the newest key and verifies with any known key.
pub struct TokenService {
    keys: Vec<Key>,
    verified: VerifiedTokens,
    /// The newest key's secret, from which other keys (the paging cursors') are derived.
    newest_secret: Vec<u8>,
}

/// Tokens whose signature already verified, with their claims: a client sends the same token
/// with every request, and its HMAC and two JSON parses were about a fifth of the instructions
/// of a simple read. Only tokens that passed [`TokenService::verify`] get in, keyed by the whole
/// token, so a changed byte misses and is verified in full; expiry is checked on every use. A
/// full cache is emptied, which bounds its memory.
struct VerifiedTokens {
    capacity: usize,
    seen: std::sync::Mutex<std::collections::HashMap<Box<str>, Claims>>,
}

impl VerifiedTokens {
    fn get(&self, token: &str) -> Option<Claims> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(token).cloned()
    }

    fn remember(&self, token: &str, claims: &Claims) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= self.capacity {
            seen.clear();
        }
        seen.insert(token.into(), claims.clone());
    }
}

impl TokenService {
    /// `keys` newest first, as `(kid, secret)`.
    pub fn new(keys: Vec<(String, Vec<u8>)>) -> Self {
        Self {
            newest_secret: keys.first().map(|k| k.1.clone()).unwrap_or_default(),
            keys: keys
                .into_iter()
                .map(|(kid, secret)| Key {
                    kid,
                    enc: EncodingKey::from_secret(&secret),
                    dec: DecodingKey::from_secret(&secret),
                })
                .collect(),
            verified: VerifiedTokens {
                capacity: 10_000,
                seen: Default::default(),
            },
        }
    }

    /// The codec of paging cursors, keyed from the newest signing key: every instance sharing
    /// the keys accepts the cursors of the others.
    pub fn cursors(&self) -> crate::cursor::Cursors {
        crate::cursor::Cursors::new(&self.newest_secret)
    }

    pub fn issue(&self, claims: &Claims) -> ApiResult<String> {
        let key = self.keys.first().ok_or_else(|| {
            tracing::error!("no signing key loaded");
            ApiError::internal()
        })?;
        let mut header = Header::new(JwtAlg::HS256);
        header.kid = Some(key.kid.clone());
        encode(&header, claims, &key.enc).map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            ApiError::internal()
        })
    }

    /// Checks signature and expiry. The caller checks the tenant and the token type.
    pub fn verify(&self, token: &str) -> ApiResult<Claims> {
        if let Some(claims) = self.verified.get(token) {
            // What `decode` checks of a token whose signature is known good (leeway 0).
            if claims.exp < jsonwebtoken::get_current_timestamp() as i64 {
                return Err(expired());
            }
            return Ok(claims);
        }
        let claims = self.verify_signed(token)?;
        self.verified.remember(token, &claims);
        Ok(claims)
    }

    fn verify_signed(&self, token: &str) -> ApiResult<Claims> {
        let corrupt = || ApiError::bad_token("Unable to authenticate due to corrupt access token");
        let header = decode_header(token).map_err(|_| corrupt())?;
        let kid = header.kid.ok_or_else(corrupt)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| ApiError::bad_token("Unable to authenticate"))?;
        let mut validation = Validation::new(JwtAlg::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[TOKEN_ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        match decode::<Claims>(token, &key.dec, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => Err(expired()),
            Err(_) => Err(corrupt()),
        }
    }
}

fn expired() -> ApiError {
    ApiError::unauthorized("Unable to authenticate due to expired access token")
}

/// Remembers, for a short while, client secrets that passed argon2 verification, so that
/// `client_credentials` does not pay a full argon2 run per request. Only digests are kept (in
/// memory, never stored): SHA-256 over the client id, the secret and the stored hash, so a
/// rotated secret (new hash) no longer matches. Meant for high-entropy, server-generated client
/// secrets; user passwords always go through argon2.
pub struct VerifiedSecrets {
    ttl: std::time::Duration,
    capacity: usize,
    seen: std::sync::Mutex<std::collections::HashMap<[u8; 32], std::time::Instant>>,
}

impl VerifiedSecrets {
    pub fn new(ttl: std::time::Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            seen: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn key(client_id: &str, secret: &str, hash: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [client_id, secret, hash] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    pub fn contains(&self, client_id: &str, secret: &str, hash: &str) -> bool {
        let key = Self::key(client_id, secret, hash);
        let Ok(seen) = self.seen.lock() else {
            return false;
        };
        seen.get(&key).is_some_and(|t| t.elapsed() < self.ttl)
    }

    pub fn remember(&self, client_id: &str, secret: &str, hash: &str) {
        let key = Self::key(client_id, secret, hash);
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= self.capacity {
                let ttl = self.ttl;
                seen.retain(|_, t| t.elapsed() < ttl);
                if seen.len() >= self.capacity {
                    seen.clear();
                }
            }
            seen.insert(key, std::time::Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp_offset: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            iss: TOKEN_ISSUER.into(),
            typ: "app".into(),
            app: Uuid::new_v4(),
            sub: "c".into(),
            usr: None,
            iat: now,
            exp: now + exp_offset,
        }
    }

    #[test]
    fn a_token_verifies_with_its_key_and_fails_with_another() {
        let svc = TokenService::new(vec![("k1".into(), vec![1; 32])]);
        let t = svc.issue(&claims(60)).unwrap();
        assert_eq!(svc.verify(&t).unwrap().sub, "c");
        let other = TokenService::new(vec![("k1".into(), vec![2; 32])]);
        assert_eq!(other.verify(&t).unwrap_err().error, "auth_bad_access_token");
        let unknown_kid = TokenService::new(vec![("k2".into(), vec![1; 32])]);
        assert_eq!(
            unknown_kid.verify(&t).unwrap_err().error,
            "auth_bad_access_token"
        );
    }

    #[test]
    fn an_expired_token_is_unauthorized_and_garbage_is_corrupt() {
        let svc = TokenService::new(vec![("k1".into(), vec![1; 32])]);
        let t = svc.issue(&claims(-10)).unwrap();
        let e = svc.verify(&t).unwrap_err();
        assert_eq!(e.error, "unauthorized");
        assert!(e.description.contains("expired"));
        assert_eq!(
            svc.verify("nope").unwrap_err().error,
            "auth_bad_access_token"
        );
    }

    #[test]
    fn a_verified_token_is_remembered_until_it_expires_and_a_changed_one_is_checked_again() {
        let svc = TokenService::new(vec![("k1".into(), vec![1; 32])]);
        let t = svc.issue(&claims(1)).unwrap();
        assert_eq!(svc.verify(&t).unwrap().sub, "c");
        assert!(svc.verified.get(&t).is_some());
        assert_eq!(svc.verify(&t).unwrap().sub, "c");
        // The same claims under another signature are not the remembered token.
        let forged = format!("{}AAAA", &t[..t.len() - 4]);
        assert_eq!(
            svc.verify(&forged).unwrap_err().error,
            "auth_bad_access_token"
        );
        assert!(svc.verified.get(&forged).is_none());
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let e = svc.verify(&t).unwrap_err();
        assert_eq!(e.error, "unauthorized");
        assert!(e.description.contains("expired"));
    }

    #[test]
    fn a_full_token_cache_starts_over() {
        let mut svc = TokenService::new(vec![("k1".into(), vec![1; 32])]);
        svc.verified.capacity = 2;
        let tokens: Vec<String> = (60..63).map(|e| svc.issue(&claims(e)).unwrap()).collect();
        for t in &tokens {
            svc.verify(t).unwrap();
        }
        let seen = svc.verified.seen.lock().unwrap().len();
        assert_eq!(seen, 1);
        assert!(svc.verified.get(&tokens[2]).is_some());
    }

    #[test]
    fn verified_secrets_match_only_the_same_secret_and_hash_until_they_expire() {
        let cache = VerifiedSecrets::new(std::time::Duration::from_millis(50), 2);
        cache.remember("c", "s", "h1");
        assert!(cache.contains("c", "s", "h1"));
        assert!(!cache.contains("c", "other", "h1"));
        assert!(!cache.contains("c", "s", "h2"));
        assert!(!cache.contains("c2", "s", "h1"));
        std::thread::sleep(std::time::Duration::from_millis(60));
        assert!(!cache.contains("c", "s", "h1"));
    }
}
