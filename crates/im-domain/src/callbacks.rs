//! Event callbacks: which `group_op_event`s a change of a group or chatroom makes, what they
//! carry, and the delivery policy (retry backoff, pauses). The store writes the events in the
//! transaction of the change; a worker delivers them.
//!
//! The events and payloads follow the hosted service's callback pages (one per operation);
//! where they are silent, the choices are the README's.

use crate::room::RoomKind;

/// Who made a change: `@ppAdmin` for a call with an app token, else the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    App,
    User(String),
}

impl Operator {
    pub fn name(&self) -> &str {
        match self {
            Operator::App => "@ppAdmin",
            Operator::User(u) => u,
        }
    }
}

/// The `operation` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Delete,
    Update,
    Join,
    Leave,
    Admin,
    RoomSuperAdmin,
    White,
    Block,
    Mute,
    ShareFile,
}

impl Operation {
    pub const ALL: [Operation; 11] = [
        Operation::Create,
        Operation::Delete,
        Operation::Update,
        Operation::Join,
        Operation::Leave,
        Operation::Admin,
        Operation::RoomSuperAdmin,
        Operation::White,
        Operation::Block,
        Operation::Mute,
        Operation::ShareFile,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Delete => "DELETE",
            Operation::Update => "UPDATE",
            Operation::Join => "JOIN",
            Operation::Leave => "LEAVE",
            Operation::Admin => "ADMIN",
            Operation::RoomSuperAdmin => "ROOM_SUPER_ADMIN",
            Operation::White => "WHITE",
            Operation::Block => "BLOCK",
            Operation::Mute => "MUTE",
            Operation::ShareFile => "SHARE_FILE",
        }
    }

    /// The operation of a name, any case.
    pub fn parse(name: &str) -> Option<Operation> {
        let upper = name.trim().to_ascii_uppercase();
        Operation::ALL.into_iter().find(|o| o.as_str() == upper)
    }
}

/// A scalar of a payload's `info` object.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(String),
    Int(i64),
}

/// What an event carries in `payload`.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// No `payload` at all (DELETE).
    None,
    /// `{"member": [...], "type": T}`, with `expire_timestamp` for mutes and blocks.
    Members {
        member: Vec<String>,
        kind: &'static str,
        expire_timestamp: Option<i64>,
    },
    /// `{"admin": [...], "type": ADD|REMOVE}`.
    Admins {
        admin: Vec<String>,
        kind: &'static str,
    },
    /// `{"share_file": [...], "type": ADD|REMOVE}`.
    Files {
        share_file: Vec<String>,
        kind: &'static str,
    },
    /// CREATE: `{"role": {...}, "member": [...], "info": {...}}`.
    Create {
        role: Vec<(String, &'static str)>,
        member: Vec<String>,
        info: Vec<(&'static str, Field)>,
    },
    /// UPDATE/INFO: `{"type": "INFO", "info": {changed fields}}`.
    Info(Vec<(&'static str, Field)>),
    /// UPDATE/ANNOUNCEMENT: `{"type": "ANNOUNCEMENT", "announcement": text}` (no text when it
    /// was deleted).
    Announcement(Option<String>),
    /// UPDATE/MUTE (mute-all): `{"mute": bool, "type": "MUTE"}`.
    MuteAll(bool),
    /// UPDATE/OWNER: `{"owner": old, "new_owner": new, "type": "OWNER"}`.
    Owner { owner: String, new_owner: String },
    /// UPDATE/DISABLE (groups): `{"disable": bool, "type": "DISABLE"}`.
    Disable(bool),
}

/// One event: a room (0 for app-level events), what happened, who did it, what it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomEvent {
    pub kind: RoomKind,
    pub room_id: i64,
    pub operation: Operation,
    pub operator: String,
    pub payload: Payload,
}

/// Members named in one event at most: a change of more (a room of 100000 deleted) makes
/// several events, in order.
pub const MEMBERS_PER_EVENT: usize = 1000;

/// How users joined: `DIRECT` (added by the app or at creation).
pub const JOIN_DIRECT: &str = "DIRECT";
/// How members left: kicked (removed by the app, or their user deleted), blocked, or the room
/// deleted.
pub const LEAVE_KICK: &str = "KICK";
pub const LEAVE_BLOCK: &str = "BLOCK";
pub const LEAVE_DELETE: &str = "DELETE";
pub const ADD: &str = "ADD";
pub const REMOVE: &str = "REMOVE";

/// Expiry the hosted service gives a block (it has none): 2117-01-01T00:00:00+08:00.
pub const BLOCK_EXPIRE_MS: i64 = 4_638_873_600_000;

/// Events naming `names` in chunks of [`MEMBERS_PER_EVENT`], `make` building each.
fn chunked(names: &[String], make: impl FnMut(Vec<String>) -> RoomEvent) -> Vec<RoomEvent> {
    names
        .chunks(MEMBERS_PER_EVENT)
        .map(<[String]>::to_vec)
        .map(make)
        .collect()
}

/// A room kind's events come only from groups and chatrooms (threads have none).
pub fn has_events(kind: RoomKind) -> bool {
    matches!(kind, RoomKind::Group | RoomKind::Chatroom)
}

impl RoomEvent {
    pub fn new(
        kind: RoomKind,
        room_id: i64,
        operation: Operation,
        operator: &Operator,
        payload: Payload,
    ) -> Self {
        Self {
            kind,
            room_id,
            operation,
            operator: operator.name().to_owned(),
            payload,
        }
    }

    /// `operation` events of `names` (MUTE, BLOCK, WHITE, JOIN, LEAVE) with payload type `how`.
    pub fn members(
        kind: RoomKind,
        room_id: i64,
        operation: Operation,
        operator: &Operator,
        how: &'static str,
        names: &[String],
        expire_timestamp: Option<i64>,
    ) -> Vec<RoomEvent> {
        if !has_events(kind) || names.is_empty() {
            return Vec::new();
        }
        chunked(names, |member| {
            RoomEvent::new(
                kind,
                room_id,
                operation,
                operator,
                Payload::Members {
                    member,
                    kind: how,
                    expire_timestamp,
                },
            )
        })
    }

    /// ADMIN or ROOM_SUPER_ADMIN events of `names`.
    pub fn admins(
        kind: RoomKind,
        room_id: i64,
        operation: Operation,
        operator: &Operator,
        how: &'static str,
        names: &[String],
    ) -> Vec<RoomEvent> {
        if !has_events(kind) || names.is_empty() {
            return Vec::new();
        }
        chunked(names, |admin| {
            RoomEvent::new(
                kind,
                room_id,
                operation,
                operator,
                Payload::Admins { admin, kind: how },
            )
        })
    }

    /// An UPDATE event.
    pub fn update(kind: RoomKind, room_id: i64, operator: &Operator, payload: Payload) -> Self {
        RoomEvent::new(kind, room_id, Operation::Update, operator, payload)
    }

    /// The payload's `type`, as receivers filter on it.
    pub fn payload_type(&self) -> Option<&'static str> {
        match &self.payload {
            Payload::None | Payload::Create { .. } => None,
            Payload::Members { kind, .. }
            | Payload::Admins { kind, .. }
            | Payload::Files { kind, .. } => Some(kind),
            Payload::Info(_) => Some("INFO"),
            Payload::Announcement(_) => Some("ANNOUNCEMENT"),
            Payload::MuteAll(_) => Some("MUTE"),
            Payload::Owner { .. } => Some("OWNER"),
            Payload::Disable(_) => Some("DISABLE"),
        }
    }
}

/// The events of a room deleted with its members (the owner among them): the members leave
/// (`LEAVE`/`DELETE`, in chunks), then the room goes (`DELETE`).
pub fn room_deleted(
    kind: RoomKind,
    room_id: i64,
    operator: &Operator,
    members: &[String],
) -> Vec<RoomEvent> {
    if !has_events(kind) {
        return Vec::new();
    }
    let mut out = RoomEvent::members(
        kind,
        room_id,
        Operation::Leave,
        operator,
        LEAVE_DELETE,
        members,
        None,
    );
    out.push(RoomEvent::new(
        kind,
        room_id,
        Operation::Delete,
        operator,
        Payload::None,
    ));
    out
}

/// The delivery policy: retries with exponential backoff and jitter until a horizon, and pauses
/// of a rule whose receiver fails fast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The first retry's delay.
    pub base_ms: u64,
    /// The longest delay between two tries.
    pub max_ms: u64,
}

impl RetryPolicy {
    /// The delay before try `attempt + 1` after `attempt` failed tries (1 or more): the base
    /// doubled each time up to the maximum, then scaled by `jitter` in [0, 1) into its upper
    /// half (so that receivers coming back are not hit by every stream at once).
    pub fn delay_ms(&self, attempt: u32, jitter: f64) -> u64 {
        let doubled = self
            .base_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(40));
        let full = doubled.min(self.max_ms).max(1);
        let jitter = jitter.clamp(0.0, 1.0);
        (full as f64 * (0.5 + 0.5 * jitter)).round() as u64
    }
}

/// Failures of one rule within [`PAUSE_WINDOW_SECS`] that pause it.
pub const PAUSE_FAILURES: i32 = 90;
pub const PAUSE_WINDOW_SECS: i64 = 30;

/// How long the `nth` pause within 24 hours lasts (1-based): `unit_secs` (5 minutes on the
/// hosted service) times n, at most five times.
pub fn pause_secs(nth: i32, unit_secs: i64) -> i64 {
    unit_secs.max(1) * i64::from(nth.clamp(1, 5))
}

/// A rule's URL: `http://` or `https://` with a host, at most 2048 bytes, no spaces or control
/// characters.
pub fn check_url(raw: &str) -> Result<String, crate::DomainError> {
    let url = raw.trim();
    let bad = || crate::DomainError::invalid(format!("url [{raw}] must be an http or https URL"));
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty()
        || url.len() > 2048
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(url.to_owned())
}

/// The room kinds a rule takes: `group` and/or `chatroom` (any case, plural too); none named is
/// an error, and so is any other name.
pub fn parse_kinds(names: &[String]) -> Result<Vec<&'static str>, crate::DomainError> {
    let mut kinds = Vec::new();
    for n in names {
        let kind = match n.trim().to_ascii_lowercase().as_str() {
            "group" | "groups" => "group",
            "chatroom" | "chatrooms" => "chatroom",
            _ => {
                return Err(crate::DomainError::invalid(format!(
                    "events [{n}] must be group or chatroom"
                )))
            }
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(crate::DomainError::invalid(
            "events must name group, chatroom or both",
        ));
    }
    Ok(kinds)
}

/// The operations a rule takes, by name (`JOIN`, `LEAVE`, …); an unknown name is an error. None
/// named (an empty list) means every operation.
pub fn parse_operations(names: &[String]) -> Result<Vec<&'static str>, crate::DomainError> {
    let mut ops = Vec::new();
    for n in names {
        let op = Operation::parse(n).ok_or_else(|| {
            crate::DomainError::invalid(format!(
                "operation [{n}] is not one of {}",
                Operation::ALL.map(Operation::as_str).join(", ")
            ))
        })?;
        if !ops.contains(&op.as_str()) {
            ops.push(op.as_str());
        }
    }
    Ok(ops)
}

/// A secret given for a rule: 8 to 128 characters, no control characters.
pub fn check_secret(secret: &str) -> Result<(), crate::DomainError> {
    let n = secret.chars().count();
    if !(8..=128).contains(&n) || secret.chars().any(char::is_control) {
        return Err(crate::DomainError::invalid(
            "secret must be 8 to 128 characters, none of them a control character",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i}")).collect()
    }

    #[test]
    fn member_events_come_in_chunks_and_only_for_groups_and_chatrooms() {
        let e = RoomEvent::members(
            RoomKind::Group,
            7,
            Operation::Join,
            &Operator::App,
            JOIN_DIRECT,
            &names(2500),
            None,
        );
        let sizes: Vec<usize> = e
            .iter()
            .map(|e| match &e.payload {
                Payload::Members { member, .. } => member.len(),
                _ => 0,
            })
            .collect();
        assert_eq!(sizes, [1000, 1000, 500]);
        assert_eq!(e[0].operator, "@ppAdmin");
        assert_eq!(e[0].payload_type(), Some("DIRECT"));
        let none = RoomEvent::members(
            RoomKind::Thread,
            7,
            Operation::Join,
            &Operator::App,
            JOIN_DIRECT,
            &names(3),
            None,
        );
        assert!(none.is_empty());
        assert!(RoomEvent::members(
            RoomKind::Chatroom,
            7,
            Operation::Join,
            &Operator::App,
            JOIN_DIRECT,
            &[],
            None
        )
        .is_empty());
    }

    #[test]
    fn a_deleted_room_lets_its_members_leave_then_goes() {
        let e = room_deleted(RoomKind::Chatroom, 9, &Operator::App, &names(3));
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].operation, Operation::Leave);
        assert_eq!(e[0].payload_type(), Some("DELETE"));
        assert_eq!(e[1].operation, Operation::Delete);
        assert_eq!(e[1].payload, Payload::None);
    }

    #[test]
    fn operations_parse_any_case() {
        assert_eq!(Operation::parse("join"), Some(Operation::Join));
        assert_eq!(
            Operation::parse("room_super_admin"),
            Some(Operation::RoomSuperAdmin)
        );
        assert_eq!(Operation::parse("SHIELD"), None);
        assert_eq!(Operator::User("amy".into()).name(), "amy");
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_maximum() {
        let p = RetryPolicy {
            base_ms: 1000,
            max_ms: 3_600_000,
        };
        assert_eq!(p.delay_ms(1, 1.0), 1000);
        assert_eq!(p.delay_ms(1, 0.0), 500);
        assert_eq!(p.delay_ms(4, 1.0), 8000);
        assert_eq!(p.delay_ms(30, 1.0), 3_600_000);
        assert_eq!(p.delay_ms(u32::MAX, 1.0), 3_600_000);
    }

    #[test]
    fn rules_take_http_urls_known_kinds_and_operations() {
        assert_eq!(
            check_url(" https://a.example/cb?x=1 ").unwrap(),
            "https://a.example/cb?x=1"
        );
        assert!(check_url("http://127.0.0.1:9000").is_ok());
        for bad in [
            "ftp://a",
            "https://",
            "http:// a",
            "a.example",
            "http://a\u{0}",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_kinds(&["GROUP".into(), "chatrooms".into(), "group".into()]).unwrap(),
            ["group", "chatroom"]
        );
        assert!(parse_kinds(&[]).is_err());
        assert!(parse_kinds(&["thread".into()]).is_err());
        assert_eq!(
            parse_operations(&["join".into(), "LEAVE".into()]).unwrap(),
            ["JOIN", "LEAVE"]
        );
        assert!(parse_operations(&["SHIELD".into()]).is_err());
        assert!(check_secret("12345678").is_ok());
        assert!(check_secret("short").is_err());
        assert!(check_secret("with\nnewline").is_err());
    }

    #[test]
    fn pauses_grow_by_five_minutes_up_to_twenty_five() {
        assert_eq!(
            (1..=7).map(|n| pause_secs(n, 300)).collect::<Vec<_>>(),
            [300, 600, 900, 1200, 1500, 1500, 1500]
        );
    }
}
