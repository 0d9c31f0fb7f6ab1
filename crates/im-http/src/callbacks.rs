//! Event callbacks, the HTTP tier's part: settings, sealing the rules' secrets at rest, and the
//! signature of a delivery. The REST endpoints are in `routes::callbacks`; the worker that
//! delivers is the server's.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use md5::{Digest, Md5};
use rand::RngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use serde::{Deserialize, Serialize};

/// The `[callbacks]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallbacksConfig {
    /// Run the delivery worker in this instance (every instance may: they share the work).
    pub deliver: bool,
    /// A delivery counts when the receiver answers 200 within this.
    pub timeout_ms: u64,
    /// The first retry's delay; each next one doubles, up to `retry_max_secs`, with jitter.
    pub retry_base_ms: u64,
    pub retry_max_secs: u64,
    /// How long a delivery is retried before it goes to the dead letters.
    pub horizon_secs: u64,
    /// How long dead letters are kept.
    pub dead_letter_keep_secs: u64,
    /// Deliveries in flight at once in this instance, over all rules, and per rule.
    pub max_in_flight: usize,
    pub per_rule_in_flight: usize,
    /// How often the worker looks for due deliveries when it has nothing to do.
    pub poll_ms: u64,
    /// Bytes of a receiver's answer read (the rest is dropped).
    pub response_bytes: usize,
    /// Rules one app may have.
    pub max_rules_per_app: i64,
    /// Warn in the log when the oldest undelivered event is older than this.
    pub backlog_warn_secs: u64,
    /// A rule whose receiver failed 90 times within 30 s is paused: the n-th time within a day
    /// for n times this (at most 5 times).
    pub pause_secs: u64,
    /// A key (32 bytes, base64) that seals the rules' secrets, kept out of the database; unset:
    /// a key kept in the database (`callback_keys`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
}

impl Default for CallbacksConfig {
    fn default() -> Self {
        Self {
            deliver: true,
            timeout_ms: 5000,
            retry_base_ms: 1000,
            retry_max_secs: 3600,
            horizon_secs: 24 * 3600,
            dead_letter_keep_secs: 3 * 24 * 3600,
            max_in_flight: 128,
            per_rule_in_flight: 32,
            poll_ms: 100,
            response_bytes: 1024,
            max_rules_per_app: 16,
            backlog_warn_secs: 3600,
            pause_secs: 300,
            secret_key: None,
        }
    }
}

/// Seals and opens the rules' secrets (ChaCha20-Poly1305, a fresh nonce each time): the
/// database holds them only sealed.
pub struct Sealer {
    kid: String,
    keys: Vec<(String, LessSafeKey)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("callbacks.secret_key must be 32 bytes in base64")]
    BadKey,
    #[error(
        "a callback secret could not be opened (its key {0} is unknown or the data is damaged)"
    )]
    Open(String),
}

impl Sealer {
    /// `keys`: `(kid, 32-byte key)`, the newest (which seals) first.
    pub fn new(keys: Vec<(String, Vec<u8>)>) -> Result<Self, SealError> {
        let keys: Vec<(String, LessSafeKey)> = keys
            .into_iter()
            .map(|(kid, k)| {
                UnboundKey::new(&CHACHA20_POLY1305, &k)
                    .map(|u| (kid, LessSafeKey::new(u)))
                    .map_err(|_| SealError::BadKey)
            })
            .collect::<Result<_, _>>()?;
        let kid = keys.first().map(|k| k.0.clone()).ok_or(SealError::BadKey)?;
        Ok(Self { kid, keys })
    }

    /// The configured key (`callbacks.secret_key`), when set.
    pub fn configured_key(config: &CallbacksConfig) -> Result<Option<Vec<u8>>, SealError> {
        match config
            .secret_key
            .as_deref()
            .filter(|k| !k.trim().is_empty())
        {
            None => Ok(None),
            Some(k) => {
                let bytes = STANDARD.decode(k.trim()).map_err(|_| SealError::BadKey)?;
                if bytes.len() != 32 {
                    return Err(SealError::BadKey);
                }
                Ok(Some(bytes))
            }
        }
    }

    /// `(sealed, kid)`: nonce then ciphertext and tag.
    pub fn seal(&self, secret: &str) -> (Vec<u8>, String) {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut data = secret.as_bytes().to_vec();
        let key = &self.keys[0].1;
        // Sealing in place cannot fail for inputs this small.
        let _ = key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(self.kid.as_bytes()),
            &mut data,
        );
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        (out, self.kid.clone())
    }

    pub fn open(&self, sealed: &[u8], kid: &str) -> Result<String, SealError> {
        let fail = || SealError::Open(kid.to_owned());
        let key = &self.keys.iter().find(|k| k.0 == kid).ok_or_else(fail)?.1;
        if sealed.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let mut data = data.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut data)
            .map_err(|_| fail())?;
        String::from_utf8(plain.to_vec()).map_err(|_| fail())
    }
}

/// A new random secret for a rule (shown once, like a client secret).
pub fn new_secret() -> String {
    let mut buf = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// `security`: the MD5 hex of `callId + secret + timestamp`, as the hosted service signs.
pub fn signature(call_id: &str, secret: &str, timestamp: i64) -> String {
    let mut h = Md5::new();
    h.update(call_id.as_bytes());
    h.update(secret.as_bytes());
    h.update(timestamp.to_string().as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key() {
        let s = Sealer::new(vec![("k2".into(), vec![7; 32]), ("k1".into(), vec![1; 32])]).unwrap();
        let (sealed, kid) = s.seal("s3cret");
        assert_eq!(kid, "k2");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(s.open(&sealed, "k2").unwrap(), "s3cret");
        assert!(s.open(&sealed, "k1").is_err());
        assert!(s.open(&sealed, "k9").is_err());
        let mut damaged = sealed.clone();
        damaged[NONCE_LEN] ^= 1;
        assert!(s.open(&damaged, "k2").is_err());
        assert_ne!(s.seal("s3cret").0, sealed, "a fresh nonce each time");
    }

    #[test]
    fn the_signature_is_md5_hex_of_call_id_secret_and_timestamp() {
        // md5("a#b_1" + "sec" + "1729497286675"), computed independently.
        assert_eq!(
            signature("a#b_1", "sec", 1729497286675),
            hex::encode(Md5::digest(b"a#b_1sec1729497286675"))
        );
        assert_eq!(signature("", "", 0), "cfcd208495d565ef66e7dff9f98764da");
    }

    #[test]
    fn a_configured_key_is_32_bytes_of_base64() {
        let mut c = CallbacksConfig::default();
        assert!(Sealer::configured_key(&c).unwrap().is_none());
        c.secret_key = Some(STANDARD.encode([3u8; 32]));
        assert_eq!(Sealer::configured_key(&c).unwrap().unwrap(), vec![3u8; 32]);
        c.secret_key = Some("short".into());
        assert!(Sealer::configured_key(&c).is_err());
    }
}
