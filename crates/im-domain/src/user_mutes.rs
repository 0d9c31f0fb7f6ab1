//! Global user mutes (`reference/users.md`, 用户全局禁言): per user and conversation type, a
//! number of seconds, `0` to lift, `-1` for ever. Expiry is a timestamp compared with the clock,
//! so an expired mute is simply no mute.

use crate::DomainError;

/// The conversation types a global mute covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuteKind {
    Chat,
    Groupchat,
    Chatroom,
}

impl MuteKind {
    pub const ALL: [MuteKind; 3] = [MuteKind::Chat, MuteKind::Groupchat, MuteKind::Chatroom];

    /// The field name on the wire and the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            MuteKind::Chat => "chat",
            MuteKind::Groupchat => "groupchat",
            MuteKind::Chatroom => "chatroom",
        }
    }

    pub fn parse(s: &str) -> Option<MuteKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The longest mute in seconds, as the page states.
pub const MAX_SECONDS: i64 = 2_147_483_647;

/// What one field of a set asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuteChange {
    Lift,
    Forever,
    Seconds(i64),
}

impl MuteChange {
    /// `secs` as sent for `kind`: `0` lifts, `-1` is for ever, 1..=2147483647 seconds.
    pub fn parse(kind: MuteKind, secs: i64) -> Result<MuteChange, DomainError> {
        match secs {
            0 => Ok(MuteChange::Lift),
            -1 => Ok(MuteChange::Forever),
            1..=MAX_SECONDS => Ok(MuteChange::Seconds(secs)),
            _ => Err(DomainError::invalid(format!(
                "{} must be -1, 0 or a number of seconds up to {MAX_SECONDS}, not {secs}",
                kind.as_str()
            ))),
        }
    }

    /// The expiry in ms for a mute set at `now_ms`: `None` for ever (`Lift` has none either;
    /// callers delete instead).
    pub fn expires_ms(self, now_ms: i64) -> Option<i64> {
        match self {
            MuteChange::Seconds(s) => Some(now_ms + s * 1000),
            MuteChange::Lift | MuteChange::Forever => None,
        }
    }
}

/// Seconds left on a mute as the wire shows them: `-1` for ever, `0` when none or expired,
/// else the seconds remaining rounded up.
pub fn remaining_seconds(mute: Option<Option<i64>>, now_ms: i64) -> i64 {
    match mute {
        None => 0,
        Some(None) => -1,
        Some(Some(exp)) if exp <= now_ms => 0,
        Some(Some(exp)) => ((exp - now_ms) + 999) / 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_is_zero_minus_one_or_positive_seconds_up_to_the_maximum() {
        let k = MuteKind::Chat;
        assert_eq!(MuteChange::parse(k, 0), Ok(MuteChange::Lift));
        assert_eq!(MuteChange::parse(k, -1), Ok(MuteChange::Forever));
        assert_eq!(MuteChange::parse(k, 100), Ok(MuteChange::Seconds(100)));
        assert_eq!(
            MuteChange::parse(k, MAX_SECONDS),
            Ok(MuteChange::Seconds(MAX_SECONDS))
        );
        assert!(MuteChange::parse(k, MAX_SECONDS + 1).is_err());
        assert!(MuteChange::parse(k, -2).is_err());
    }

    #[test]
    fn remaining_time_rounds_up_and_expired_mutes_are_none() {
        assert_eq!(remaining_seconds(None, 1000), 0);
        assert_eq!(remaining_seconds(Some(None), 1000), -1);
        assert_eq!(remaining_seconds(Some(Some(1000)), 1000), 0);
        assert_eq!(remaining_seconds(Some(Some(900)), 1000), 0);
        assert_eq!(remaining_seconds(Some(Some(1001)), 1000), 1);
        assert_eq!(remaining_seconds(Some(Some(101_000)), 1000), 100);
        assert_eq!(MuteChange::Seconds(5).expires_ms(1000), Some(6000));
        assert_eq!(MuteChange::Forever.expires_ms(1000), None);
    }

    #[test]
    fn kinds_round_trip() {
        for k in MuteKind::ALL {
            assert_eq!(MuteKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(MuteKind::parse("group"), None);
    }
}
