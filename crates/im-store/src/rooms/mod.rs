//! Rooms: one implementation of membership, roles, mutes, blocks, whitelist, mute-all,
//! announcement and owner transfer, for chatrooms and groups alike (the `kind` column).
//!
//! Every write locks the room row (`for update`) first, loads only the facts the rule needs,
//! asks `im_domain::room` for a plan, and writes it with set-based statements, all in one
//! transaction.
//!
//! Lock order is users first (sorted by name), then rooms (sorted by id), everywhere: adds lock
//! the joining users (`for no key update`, which also serializes each user's join limit), writes
//! that insert a reference to a user (block, transfer) take `for key share` on it, and deleting a
//! user locks the user before its rooms. So no two transactions can wait on each other in a
//! cycle, and a user being deleted cannot gain a membership meanwhile.
//!
//! Queries are written so that the planner picks the right index whatever the statistics say (a
//! fresh database, a room filling faster than autovacuum analyzes, autovacuum off): the
//! `(app, room_id, pos)` index is partial on `pos >= 0`, so ordered member reads must say
//! `pos >= 0` to use it, and a lookup of one member by name can only take the primary key.
//! Connections run with sequential scans off (see `crate::session_options`).

use crate::error::{StoreError, StoreResult};
use crate::Db;
use chrono::{DateTime, Utc};
use im_domain::room::{
    self, AddPlan, MuteDuration, Outcome, RoomFacts, RoomId, RoomKind, UserFacts,
};
use im_domain::{DomainError, Limits, Username};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

mod attributes;
mod coalesce;
mod events;
mod manage;
mod members;
mod moderation;
mod room_attributes;
mod super_admins;
mod threads;

pub use attributes::*;
pub use coalesce::{MemberAdds, MemberRemoves};
pub use manage::*;
pub use members::*;
pub use moderation::*;
pub use room_attributes::*;
pub use super_admins::*;
pub use threads::*;

/// A room row.
#[derive(Debug, Clone, FromRow)]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub owner: String,
    pub maxusers: i32,
    pub member_count: i32,
    pub custom: String,
    pub announcement: String,
    pub muted_all: bool,
    pub membersonly: bool,
    pub allowinvites: bool,
    pub public: bool,
    pub disabled: bool,
    pub invite_need_confirm: bool,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, name, description, owner, maxusers, member_count, custom, announcement, \
     muted_all, membersonly, allowinvites, public, disabled, invite_need_confirm, created_at";

/// The room columns qualified by the alias `r`, for joins; built once, as the statements that
/// use them run on hot paths.
fn r_columns() -> &'static str {
    static COLUMNS_OF_R: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    COLUMNS_OF_R.get_or_init(|| {
        COLUMNS
            .split(',')
            .map(|c| format!("r.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn facts(kind: RoomKind, r: &Room) -> RoomFacts {
    RoomFacts {
        kind,
        id: RoomId::new(r.id),
        owner: r.owner.clone(),
        maxusers: r.maxusers,
        member_count: r.member_count,
    }
}

fn strings(names: &[Username]) -> Vec<String> {
    names.iter().map(|n| n.as_str().to_owned()).collect()
}

/// Locks the room row until the transaction ends, for a write: a disabled room refuses it.
async fn lock(conn: &mut PgConnection, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<Room> {
    let room = lock_any(conn, app, kind, id).await?;
    room::check_enabled(id, room.disabled)?;
    Ok(room)
}

/// Locks the room row whether or not it is disabled.
async fn lock_any(
    conn: &mut PgConnection,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
) -> StoreResult<Room> {
    sqlx::query_as::<_, Room>(&format!(
        "select {COLUMNS} from rooms where app = $1 and kind = $2 and id = $3 for update"
    ))
    .bind(app)
    .bind(kind.as_str())
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| room::not_found(kind, id).into())
}

/// How a write locks the users it names (see the module doc for the lock order).
#[derive(Clone, Copy)]
enum UserLock {
    /// They are about to join: serializes joins per user (the per-user limit).
    Join,
    /// A row referencing them will be inserted (block, owner transfer).
    Reference,
}

/// Locks the named users that exist, in name order. Must run before the room lock.
async fn lock_users(
    conn: &mut PgConnection,
    app: Uuid,
    names: &[String],
    mode: UserLock,
) -> StoreResult<()> {
    let strength = match mode {
        UserLock::Join => "for no key update",
        UserLock::Reference => "for key share",
    };
    sqlx::query(&format!(
        "select 1 from users where app = $1 and username = any($2) order by username {strength}"
    ))
    .bind(app)
    .bind(names)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What the rules need to know about each named user, in the order given. Each fact is a
/// `limit 1` lookup per name: the planner can neither turn it into a hashed read of the whole
/// room (which a plan made while the room was small, or a generic plan, would do) nor flatten
/// it into a scan, so its cost never grows with the room.
async fn user_facts(
    conn: &mut PgConnection,
    app: Uuid,
    kind: RoomKind,
    room_id: i64,
    names: &[Username],
) -> StoreResult<Vec<UserFacts>> {
    #[derive(FromRow)]
    struct Row {
        name: String,
        exists: bool,
        member: bool,
        blocked: bool,
        joined: i64,
    }
    let rows = sqlx::query_as::<_, Row>(
        "select n.name, u.found is not null as exists, m.found is not null as member,
                b.found is not null as blocked, coalesce(c.n, 0)::bigint as joined
           from unnest($4::text[]) with ordinality as n(name, ord)
           left join lateral (select true as found from users u
                               where u.app = $1 and u.username = n.name limit 1) u on true
           left join lateral (select true as found from room_members m
                               where m.app = $1 and m.room_id = $2 and m.username = n.name
                               limit 1) m on true
           left join lateral (select true as found from room_blocks b
                               where b.app = $1 and b.room_id = $2 and b.username = n.name
                               limit 1) b on true
           left join lateral (select c.n from user_room_counts c
                               where c.app = $1 and c.username = n.name and c.kind = $3
                               limit 1) c on true
          order by n.ord",
    )
    .bind(app)
    .bind(room_id)
    .bind(kind.as_str())
    .bind(strings(names))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .zip(names)
        .map(|(r, name)| {
            debug_assert_eq!(r.name, name.as_str());
            UserFacts {
                name: name.clone(),
                exists: r.exists,
                member: r.member,
                blocked: r.blocked,
                joined: r.joined,
            }
        })
        .collect())
}

/// The last position in room $2 of app $1 (0, the owner's, in a room of one): a member who
/// joins goes after it. Read under the room's lock.
const LAST_POS: &str = "(select coalesce(max(pos), 0) from room_members
                          where app = $1 and room_id = $2 and pos >= 0)";

async fn insert_members(
    conn: &mut PgConnection,
    app: Uuid,
    kind: RoomKind,
    room_id: i64,
    names: &[Username],
) -> StoreResult<()> {
    if names.is_empty() {
        return Ok(());
    }
    // A membership names its room's parent (a thread's group), which its foreign key checks.
    // New members go after the room's last position, in the order given (the caller holds the
    // room's lock, so no other insert takes the same positions). The rows and the count change
    // in one statement.
    sqlx::query(&format!(
        "with added as (
             insert into room_members (app, room_id, username, kind, parent_id, pos)
             select $1, $2, n.name, $3,
                    (select parent_id from rooms where app = $1 and id = $2),
                    {LAST_POS} + n.ord
               from unnest($4::text[]) with ordinality as n(name, ord)
              order by n.ord
             returning 1)
         update rooms set member_count = member_count + (select count(*) from added)::int,
                modified_at = now()
          where app = $1 and id = $2"
    ))
    .bind(app)
    .bind(room_id)
    .bind(kind.as_str())
    .bind(strings(names))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes non-owner memberships (their mutes and whitelist entries go with them) and updates
/// the count, in one statement. Returns how many were removed. Leaving a group also leaves its
/// threads, with their counts kept equal to their rows.
async fn delete_members(
    conn: &mut PgConnection,
    app: Uuid,
    kind: RoomKind,
    room_id: i64,
    names: &[String],
) -> StoreResult<i64> {
    if names.is_empty() {
        return Ok(0);
    }
    if kind.has_children() {
        leave_children(conn, app, room_id, names).await?;
    }
    Ok(sqlx::query_scalar(
        "with gone as (
             delete from room_members
              where app = $1 and room_id = $2 and username = any($3) and role <> 2
             returning 1),
         counted as (
             update rooms set member_count = member_count - (select count(*) from gone)::int,
                    modified_at = now()
              where app = $1 and id = $2 and exists (select 1 from gone))
         select count(*) from gone",
    )
    .bind(app)
    .bind(room_id)
    .bind(names)
    .fetch_one(&mut *conn)
    .await?)
}

/// Removes the users from every child room (thread) of `parent`, and updates those rooms'
/// counts, in one statement. The caller holds the parent's lock, which every thread write takes
/// (shared) before its thread's: so the thread rows are free of other writers here.
async fn leave_children(
    conn: &mut PgConnection,
    app: Uuid,
    parent: i64,
    names: &[String],
) -> StoreResult<()> {
    sqlx::query(
        "with gone as (
             delete from room_members
              where app = $1 and username = any($3) and parent_id = $2
              returning room_id)
         update rooms r set member_count = r.member_count - g.n, modified_at = now()
           from (select room_id, count(*)::int as n from gone group by room_id) g
          where r.app = $1 and r.id = g.room_id",
    )
    .bind(app)
    .bind(parent)
    .bind(names)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn applied(outcomes: &[Outcome]) -> Vec<String> {
    outcomes
        .iter()
        .filter(|(_, o)| o.is_ok())
        .map(|(n, _)| n.as_str().to_owned())
        .collect()
}
