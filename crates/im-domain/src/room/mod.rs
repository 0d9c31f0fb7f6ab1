//! Rooms: the rules shared by chatrooms and groups. Decision functions take facts the store has
//! already loaded under the room's lock and return a plan or the error to answer with.

use crate::{DomainError, Limits, Username};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoomKind {
    Chatroom,
    Group,
    /// A sub-room of a group: its members are members of the group.
    Thread,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Chatroom => "chatroom",
            RoomKind::Group => "group",
            RoomKind::Thread => "thread",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            RoomKind::Chatroom => "chatrooms",
            RoomKind::Group => "groups",
            RoomKind::Thread => "threads",
        }
    }

    /// A single add of a member, or single remove of a non-member: chatroom pages name 400,
    /// group pages 403.
    fn membership_error(self, msg: String) -> DomainError {
        match self {
            RoomKind::Chatroom => DomainError::ForbiddenBadRequest(msg),
            RoomKind::Group | RoomKind::Thread => DomainError::Forbidden(msg),
        }
    }

    /// Whether rooms of this kind have child rooms (a group's threads) whose members must be
    /// members of it.
    pub fn has_children(self) -> bool {
        self == RoomKind::Group
    }

    /// Whether the room's owner is protected from removal. A thread's owner is only its
    /// creator: it can be kicked, and it leaves with the group like anyone else.
    fn protects_owner(self) -> bool {
        self != RoomKind::Thread
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member = 0,
    Admin = 1,
    Owner = 2,
}

impl Role {
    pub fn from_i16(v: i16) -> Role {
        match v {
            2 => Role::Owner,
            1 => Role::Admin,
            _ => Role::Member,
        }
    }
}

/// A room id: a positive integer, written as a numeric string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomId(i64);

impl RoomId {
    /// `None` for anything that is not a positive decimal integer that fits in 63 bits.
    pub fn parse(raw: &str) -> Option<RoomId> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 19 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        raw.parse::<i64>().ok().filter(|n| *n > 0).map(RoomId)
    }

    pub fn new(v: i64) -> RoomId {
        RoomId(v)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for RoomId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How long a mute lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuteDuration {
    Forever,
    Millis(i64),
}

impl MuteDuration {
    /// The fixed expiry the hosted service uses for "forever" (2117-01-01).
    pub const FOREVER_EXPIRE_MS: i64 = 4_638_873_600_000;

    pub fn parse(raw: Option<i64>) -> Result<Self, DomainError> {
        match raw {
            Some(-1) => Ok(Self::Forever),
            Some(ms) if ms > 0 => Ok(Self::Millis(ms)),
            Some(ms) => Err(DomainError::invalid(format!(
                "mute_duration [{ms}] must be a positive number of milliseconds or -1"
            ))),
            None => Err(DomainError::invalid("mute_duration must be provided")),
        }
    }

    pub fn expire_at(self, now_ms: i64) -> i64 {
        match self {
            Self::Forever => Self::FOREVER_EXPIRE_MS,
            Self::Millis(ms) => now_ms.saturating_add(ms).min(Self::FOREVER_EXPIRE_MS),
        }
    }
}

/// Checks a text field's length in characters: 403 `exceed_limit` "{what} cannot exceed to N".
pub fn check_chars(what: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.chars().count() > max {
        return Err(DomainError::ExceedLimit(format!(
            "{what} cannot exceed to {max}"
        )));
    }
    Ok(())
}

/// Checks `custom`'s size in bytes.
pub fn check_bytes(what: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.len() > max {
        return Err(DomainError::ExceedLimit(format!(
            "{what} cannot exceed to {max}"
        )));
    }
    Ok(())
}

/// A valid `maxusers` for a room of this kind: absent means the kind's default.
pub fn maxusers(kind: RoomKind, raw: Option<i64>, limits: &Limits) -> Result<i32, DomainError> {
    let (default, ceiling) = match kind {
        RoomKind::Chatroom => (
            limits.chatroom_maxusers_default,
            limits.chatroom_maxusers_ceiling,
        ),
        RoomKind::Group => (limits.group_maxusers_default, limits.group_maxusers_ceiling),
        // A thread holds at most its group's members; it has no size of its own.
        RoomKind::Thread => (i32::MAX, i32::MAX),
    };
    let ceiling = i64::from(ceiling);
    match raw {
        None => Ok(default),
        Some(n) if n < 1 => Err(DomainError::invalid(format!(
            "maxusers [{n}] must be at least 1"
        ))),
        Some(n) if n > ceiling => Err(DomainError::ExceedLimit(format!(
            "maxUsers cannot exceed {ceiling}"
        ))),
        Some(n) => Ok(n as i32),
    }
}

pub fn user_not_found(u: &str) -> DomainError {
    DomainError::NotFound(format!("username {u} doesn't exist!"))
}

pub fn room_not_found(id: impl std::fmt::Display) -> DomainError {
    DomainError::NotFound(format!("grpID {id} does not exist!"))
}

/// An unknown room of this kind: threads name themselves, chatrooms and groups keep the
/// documented `grpID X does not exist!`.
pub fn not_found(kind: RoomKind, id: impl std::fmt::Display) -> DomainError {
    match kind {
        RoomKind::Thread => DomainError::NotFound(format!("thread {id} does not exist!")),
        _ => room_not_found(id),
    }
}

/// A disabled group refuses every write but enable and delete.
pub fn check_enabled(id: RoomId, disabled: bool) -> Result<(), DomainError> {
    if disabled {
        return Err(DomainError::forbidden(format!("group {id} is disabled!")));
    }
    Ok(())
}

pub fn owner_forbidden() -> DomainError {
    DomainError::forbidden("forbidden operation on group owner!")
}

pub fn not_members(kind: RoomKind, names: &[&str]) -> DomainError {
    kind.membership_error(format!(
        "users [{}] are not members of this group!",
        names.join(", ")
    ))
}

/// The locked room, as far as membership rules need it.
#[derive(Debug, Clone)]
pub struct RoomFacts {
    pub kind: RoomKind,
    pub id: RoomId,
    pub owner: String,
    pub maxusers: i32,
    pub member_count: i32,
}

/// What the store knows about one named user in one room.
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub name: Username,
    pub exists: bool,
    pub member: bool,
    pub blocked: bool,
    /// Rooms of this kind the user is in now.
    pub joined: i64,
}

/// The result of an add: who to insert and who already was a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddPlan {
    pub add: Vec<Username>,
    pub already: Vec<Username>,
}

mod batch;
mod plans;
mod threads;

pub use batch::*;
pub use plans::*;
pub use threads::*;
