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
//! Queries are written so that the planner picks the right index even before the tables have
//! statistics (a fresh database, or autovacuum off): ordered member reads carry `pos >= 0`, a
//! range on the `(app, room_id, pos)` index.

use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use im_domain::room::{
    self, AddPlan, MuteDuration, Outcome, RoomFacts, RoomId, RoomKind, UserFacts,
};
use im_domain::{DomainError, Limits, Username};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

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
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, name, description, owner, maxusers, member_count, custom, announcement, \
     muted_all, membersonly, allowinvites, public, disabled, created_at";

/// The room columns qualified by a table alias, for joins.
fn columns_of(alias: &str) -> String {
    COLUMNS
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
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

/// Locks the room row until the transaction ends.
async fn lock(conn: &mut PgConnection, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<Room> {
    sqlx::query_as::<_, Room>(&format!(
        "select {COLUMNS} from rooms where app = $1 and kind = $2 and id = $3 for update"
    ))
    .bind(app)
    .bind(kind.as_str())
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| room::room_not_found(id).into())
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

/// What the rules need to know about each named user, in the order given.
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
        "select n.name,
                exists (select 1 from users u where u.app = $1 and u.username = n.name) as exists,
                exists (select 1 from room_members m
                         where m.app = $1 and m.room_id = $2 and m.username = n.name) as member,
                exists (select 1 from room_blocks b
                         where b.app = $1 and b.room_id = $2 and b.username = n.name) as blocked,
                (select count(*) from room_members j
                  where j.app = $1 and j.username = n.name and j.kind = $3) as joined
           from unnest($4::text[]) with ordinality as n(name, ord)
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
    sqlx::query(
        "insert into room_members (app, room_id, username, kind)
         select $1, $2, n.name, $3
           from unnest($4::text[]) with ordinality as n(name, ord)
          order by n.ord",
    )
    .bind(app)
    .bind(room_id)
    .bind(kind.as_str())
    .bind(strings(names))
    .execute(&mut *conn)
    .await?;
    adjust_count(conn, app, room_id, names.len() as i64).await
}

async fn adjust_count(
    conn: &mut PgConnection,
    app: Uuid,
    room_id: i64,
    delta: i64,
) -> StoreResult<()> {
    if delta != 0 {
        sqlx::query(
            "update rooms set member_count = member_count + $3, modified_at = now()
              where app = $1 and id = $2",
        )
        .bind(app)
        .bind(room_id)
        .bind(delta as i32)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deletes non-owner memberships (their mutes and whitelist entries go with them) and updates
/// the count. Returns how many were removed.
async fn delete_members(
    conn: &mut PgConnection,
    app: Uuid,
    room_id: i64,
    names: &[String],
) -> StoreResult<i64> {
    if names.is_empty() {
        return Ok(0);
    }
    let gone = sqlx::query(
        "delete from room_members where app = $1 and room_id = $2 and username = any($3) and role <> 2",
    )
    .bind(app)
    .bind(room_id)
    .bind(names)
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64;
    adjust_count(conn, app, room_id, -gone).await?;
    Ok(gone)
}

fn applied(outcomes: &[Outcome]) -> Vec<String> {
    outcomes
        .iter()
        .filter(|(_, o)| o.is_ok())
        .map(|(n, _)| n.as_str().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Rooms

pub struct NewRoom {
    pub name: String,
    pub description: String,
    pub maxusers: i32,
    pub owner: Username,
    pub members: Vec<Username>,
    pub custom: String,
}

/// Creates a room with its owner and first members.
pub async fn create(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    new: NewRoom,
    per_user_limit: i64,
) -> StoreResult<Room> {
    let mut tx = pool.begin().await?;
    let members: Vec<Username> =
        new.members
            .into_iter()
            .filter(|m| *m != new.owner)
            .fold(Vec::new(), |mut acc, m| {
                if !acc.contains(&m) {
                    acc.push(m);
                }
                acc
            });
    let mut everyone = vec![new.owner.clone()];
    everyone.extend(members.iter().cloned());
    lock_users(&mut tx, app, &strings(&everyone), UserLock::Join).await?;
    let users = user_facts(&mut tx, app, kind, 0, &everyone).await?;
    // The room does not exist yet: check it as an empty room that takes everyone at once.
    let draft = RoomFacts {
        kind,
        id: RoomId::new(0),
        owner: new.owner.as_str().to_owned(),
        maxusers: new.maxusers,
        member_count: 0,
    };
    room::plan_add(&draft, &users, false, per_user_limit)?;
    let created = sqlx::query_as::<_, Room>(&format!(
        "insert into rooms (app, kind, name, description, owner, maxusers, member_count, custom)
         values ($1, $2, $3, $4, $5, $6, 1, $7)
         returning {COLUMNS}"
    ))
    .bind(app)
    .bind(kind.as_str())
    .bind(&new.name)
    .bind(&new.description)
    .bind(new.owner.as_str())
    .bind(new.maxusers)
    .bind(&new.custom)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "insert into room_members (app, room_id, username, kind, role, pos) values ($1, $2, $3, $4, 2, 0)",
    )
    .bind(app)
    .bind(created.id)
    .bind(new.owner.as_str())
    .bind(kind.as_str())
    .execute(&mut *tx)
    .await?;
    insert_members(&mut tx, app, kind, created.id, &members).await?;
    tx.commit().await?;
    let mut room = created;
    room.member_count += members.len() as i32;
    Ok(room)
}

pub async fn get(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
) -> StoreResult<Option<Room>> {
    Ok(sqlx::query_as::<_, Room>(&format!(
        "select {COLUMNS} from rooms where app = $1 and kind = $2 and id = $3"
    ))
    .bind(app)
    .bind(kind.as_str())
    .bind(id.get())
    .fetch_optional(pool)
    .await?)
}

/// A room that must exist (404 `resource_not_found` otherwise).
pub async fn require(pool: &PgPool, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<Room> {
    get(pool, app, kind, id)
        .await?
        .ok_or_else(|| room::room_not_found(id).into())
}

/// Rooms by id, in the order asked, skipping those that do not exist.
pub async fn get_many(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    ids: &[RoomId],
) -> StoreResult<Vec<Room>> {
    let ids: Vec<i64> = ids.iter().map(|i| i.get()).collect();
    Ok(sqlx::query_as::<_, Room>(&format!(
        "select {} from rooms r
           join unnest($3::bigint[]) with ordinality as q(id, ord) on q.id = r.id
          where r.app = $1 and r.kind = $2
          order by q.ord",
        columns_of("r")
    ))
    .bind(app)
    .bind(kind.as_str())
    .bind(&ids)
    .fetch_all(pool)
    .await?)
}

/// The first `limit` members of each room (owner first), as `(room id, username, role)`.
pub async fn affiliations(
    pool: &PgPool,
    app: Uuid,
    room_ids: &[i64],
    limit: i64,
) -> StoreResult<Vec<(i64, String, i16)>> {
    Ok(sqlx::query_as(
        "select q.id, m.username, m.role
           from unnest($2::bigint[]) with ordinality as q(id, ord)
           cross join lateral (
               select username, role, pos from room_members
                where app = $1 and room_id = q.id and pos >= 0 order by pos limit $3) m
          order by q.ord, m.pos",
    )
    .bind(app)
    .bind(room_ids)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// One page of rooms in creation order after `after`, and whether more follow.
pub async fn page(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<(Vec<Room>, bool)> {
    let rows = sqlx::query_as::<_, Room>(&format!(
        "select {COLUMNS} from rooms where app = $1 and kind = $2 and id > $3 order by id limit $4"
    ))
    .bind(app)
    .bind(kind.as_str())
    .bind(after.unwrap_or(0))
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(crate::split_page(rows, limit))
}

/// The rooms a user is in, newest join first.
pub async fn joined(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    username: &Username,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<Room>> {
    if crate::users::get(pool, app, username.as_str())
        .await?
        .is_none()
    {
        return Err(room::user_not_found(username.as_str()).into());
    }
    Ok(sqlx::query_as::<_, Room>(&format!(
        "select {} from room_members m
           join rooms r on r.app = m.app and r.id = m.room_id
          where m.app = $1 and m.username = $2 and m.kind = $3
          order by m.joined_at desc, m.room_id desc
          offset $4 limit $5",
        columns_of("r")
    ))
    .bind(app)
    .bind(username.as_str())
    .bind(kind.as_str())
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// What an update may change.
#[derive(Debug, Default)]
pub struct RoomUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub maxusers: Option<i32>,
    pub new_owner: Option<Username>,
}

/// Applies an update and/or an owner transfer in one transaction.
pub async fn update(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    up: RoomUpdate,
) -> StoreResult<Room> {
    let mut tx = pool.begin().await?;
    if let Some(new_owner) = &up.new_owner {
        lock_users(
            &mut tx,
            app,
            &[new_owner.as_str().to_owned()],
            UserLock::Reference,
        )
        .await?;
    }
    let mut current = lock(&mut tx, app, kind, id).await?;
    let f = facts(kind, &current);
    if let Some(max) = up.maxusers {
        room::plan_maxusers(&f, max)?;
    }
    if let Some(new_owner) = &up.new_owner {
        let users = user_facts(
            &mut tx,
            app,
            kind,
            id.get(),
            std::slice::from_ref(new_owner),
        )
        .await?;
        room::plan_transfer(&f, &users[0])?;
        // The old owner becomes a plain member at the end of the list; the new one moves first.
        sqlx::query(
            "update room_members set role = 0, pos = nextval('room_member_pos_seq')
              where app = $1 and room_id = $2 and username = $3",
        )
        .bind(app)
        .bind(id.get())
        .bind(&current.owner)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "update room_members set role = 2, pos = 0 where app = $1 and room_id = $2 and username = $3",
        )
        .bind(app)
        .bind(id.get())
        .bind(new_owner.as_str())
        .execute(&mut *tx)
        .await?;
    }
    current = sqlx::query_as::<_, Room>(&format!(
        "update rooms set name = coalesce($3, name), description = coalesce($4, description),
                maxusers = coalesce($5, maxusers), owner = coalesce($6, owner), modified_at = now()
          where app = $1 and id = $2
          returning {COLUMNS}"
    ))
    .bind(app)
    .bind(id.get())
    .bind(up.name)
    .bind(up.description)
    .bind(up.maxusers)
    .bind(up.new_owner.as_ref().map(Username::as_str))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(current)
}

/// Deletes a room and everything in it.
pub async fn delete(pool: &PgPool, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<()> {
    let gone = sqlx::query("delete from rooms where app = $1 and kind = $2 and id = $3")
        .bind(app)
        .bind(kind.as_str())
        .bind(id.get())
        .execute(pool)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(room::room_not_found(id).into());
    }
    Ok(())
}

/// Sets a room's text/flag column.
async fn set_column(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    column: &'static str,
    value: impl for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
) -> StoreResult<()> {
    let done = sqlx::query(&format!(
        "update rooms set {column} = $4, modified_at = now() where app = $1 and kind = $2 and id = $3"
    ))
    .bind(app)
    .bind(kind.as_str())
    .bind(id.get())
    .bind(value)
    .execute(pool)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(room::room_not_found(id).into());
    }
    Ok(())
}

pub async fn set_announcement(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    text: &str,
) -> StoreResult<()> {
    set_column(pool, app, kind, id, "announcement", text.to_owned()).await
}

/// Mute-all on or off.
pub async fn set_muted_all(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    on: bool,
) -> StoreResult<()> {
    set_column(pool, app, kind, id, "muted_all", on).await
}

// ---------------------------------------------------------------------------------------------
// Members

/// A member as listed: name, role and list position.
#[derive(Debug, Clone, FromRow)]
pub struct Member {
    pub username: String,
    pub role: i16,
    pub pos: i64,
}

/// Members by page number (owner first). Errors with `service_resource_not_found` for an
/// unknown room.
pub async fn members_by_page(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<Member>> {
    require_listed(pool, app, kind, id).await?;
    Ok(sqlx::query_as::<_, Member>(
        "select username, role, pos from room_members
          where app = $1 and room_id = $2 and pos >= 0 order by pos offset $3 limit $4",
    )
    .bind(app)
    .bind(id.get())
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Members after the keyset position `after` (owner first), and whether more follow.
pub async fn members_after(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<(Vec<Member>, bool)> {
    require_listed(pool, app, kind, id).await?;
    let rows = sqlx::query_as::<_, Member>(
        "select username, role, pos from room_members
          where app = $1 and room_id = $2 and pos > $3 order by pos limit $4",
    )
    .bind(app)
    .bind(id.get())
    .bind(after.unwrap_or(-1))
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(crate::split_page(rows, limit))
}

/// Member-list and details reads answer an unknown room with `service_resource_not_found`.
async fn require_listed(pool: &PgPool, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<()> {
    let found: bool = sqlx::query_scalar(
        "select exists (select 1 from rooms where app = $1 and kind = $2 and id = $3)",
    )
    .bind(app)
    .bind(kind.as_str())
    .bind(id.get())
    .fetch_one(pool)
    .await?;
    if !found {
        return Err(
            DomainError::ServiceResourceNotFound(format!("do not find this group:{id}")).into(),
        );
    }
    Ok(())
}

/// Adds one (`single`) or several users. Returns the plan that was applied.
pub async fn add_members(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
    single: bool,
    limits: &Limits,
) -> StoreResult<AddPlan> {
    let mut tx = pool.begin().await?;
    lock_users(&mut tx, app, &strings(names), UserLock::Join).await?;
    let current = lock(&mut tx, app, kind, id).await?;
    let users = user_facts(&mut tx, app, kind, id.get(), names).await?;
    let plan = room::plan_add(
        &facts(kind, &current),
        &users,
        single,
        per_user_limit(kind, limits),
    )?;
    insert_members(&mut tx, app, kind, id.get(), &plan.add).await?;
    tx.commit().await?;
    Ok(plan)
}

fn per_user_limit(kind: RoomKind, limits: &Limits) -> i64 {
    match kind {
        RoomKind::Chatroom => limits.chatrooms_per_user,
        RoomKind::Group => limits.groups_per_user,
    }
}

/// Removes one (`single`) or several members; per-user outcomes.
pub async fn remove_members(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
    single: bool,
) -> StoreResult<Vec<Outcome>> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, app, kind, id).await?;
    let users = user_facts(&mut tx, app, kind, id.get(), names).await?;
    let outcomes = room::plan_remove(&facts(kind, &current), &users, single)?;
    delete_members(&mut tx, app, id.get(), &applied(&outcomes)).await?;
    tx.commit().await?;
    Ok(outcomes)
}

// ---------------------------------------------------------------------------------------------
// Admins

pub async fn admins(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
) -> StoreResult<Vec<String>> {
    require(pool, app, kind, id).await?;
    Ok(sqlx::query_scalar(
        "select username from room_members
          where app = $1 and room_id = $2 and role = 1 and pos >= 0 order by pos",
    )
    .bind(app)
    .bind(id.get())
    .fetch_all(pool)
    .await?)
}

async fn role_of(
    conn: &mut PgConnection,
    app: Uuid,
    room_id: i64,
    name: &Username,
) -> StoreResult<Option<i16>> {
    Ok(sqlx::query_scalar(
        "select role from room_members where app = $1 and room_id = $2 and username = $3",
    )
    .bind(app)
    .bind(room_id)
    .bind(name.as_str())
    .fetch_optional(&mut *conn)
    .await?)
}

/// Promotes a member to admin (`promote`, at most `max_admins`) or demotes an admin.
pub async fn set_admin(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    name: &Username,
    promote: bool,
    max_admins: i64,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, app, kind, id).await?;
    let f = facts(kind, &current);
    let users = user_facts(&mut tx, app, kind, id.get(), std::slice::from_ref(name)).await?;
    let is_admin = role_of(&mut tx, app, id.get(), name).await? == Some(1);
    if promote {
        let count: i64 = sqlx::query_scalar(
            "select count(*) from room_members where app = $1 and room_id = $2 and role = 1",
        )
        .bind(app)
        .bind(id.get())
        .fetch_one(&mut *tx)
        .await?;
        room::plan_add_admin(&f, &users[0], is_admin, count, max_admins)?;
    } else {
        room::plan_remove_admin(&f, &users[0], is_admin)?;
    }
    sqlx::query(
        "update room_members set role = $4 where app = $1 and room_id = $2 and username = $3",
    )
    .bind(app)
    .bind(id.get())
    .bind(name.as_str())
    .bind(i16::from(promote))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Mutes

/// Unexpired mutes as `(username, expire_ms)`.
pub async fn mutes(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    now_ms: i64,
) -> StoreResult<Vec<(String, i64)>> {
    require(pool, app, kind, id).await?;
    Ok(sqlx::query_as(
        "select username, expire_ms from room_mutes
          where app = $1 and room_id = $2 and expire_ms > $3 order by username",
    )
    .bind(app)
    .bind(id.get())
    .bind(now_ms)
    .fetch_all(pool)
    .await?)
}

/// Mutes members until `duration` from `now_ms`; returns per-user outcomes and the expiry.
pub async fn mute(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
    duration: MuteDuration,
    now_ms: i64,
) -> StoreResult<(Vec<Outcome>, i64)> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, app, kind, id).await?;
    let users = user_facts(&mut tx, app, kind, id.get(), names).await?;
    let outcomes = room::plan_members_only(&facts(kind, &current), &users, false, false)?;
    let expire = duration.expire_at(now_ms);
    sqlx::query(
        "insert into room_mutes (app, room_id, username, expire_ms)
         select $1, $2, n, $4 from unnest($3::text[]) as n
         on conflict (app, room_id, username) do update set expire_ms = excluded.expire_ms",
    )
    .bind(app)
    .bind(id.get())
    .bind(applied(&outcomes))
    .bind(expire)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((outcomes, expire))
}

/// Lifts mutes; `true` per name that was muted.
pub async fn unmute(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
    now_ms: i64,
) -> StoreResult<Vec<(Username, bool)>> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, app, kind, id).await?;
    let lifted: Vec<(String, i64)> = sqlx::query_as(
        "delete from room_mutes where app = $1 and room_id = $2 and username = any($3)
         returning username, expire_ms",
    )
    .bind(app)
    .bind(id.get())
    .bind(strings(names))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(names
        .iter()
        .map(|n| {
            let was = lifted
                .iter()
                .any(|(u, exp)| u == n.as_str() && *exp > now_ms);
            (n.clone(), was)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Blocks and whitelist

/// A per-room list of usernames.
#[derive(Debug, Clone, Copy)]
pub enum NameList {
    Blocks,
    Whitelist,
}

impl NameList {
    fn table(self) -> &'static str {
        match self {
            NameList::Blocks => "room_blocks",
            NameList::Whitelist => "room_whitelist",
        }
    }
}

/// The names on a room's block list or whitelist, oldest entry first.
pub async fn names(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    list: NameList,
) -> StoreResult<Vec<String>> {
    require(pool, app, kind, id).await?;
    Ok(sqlx::query_scalar(&format!(
        "select username from {} where app = $1 and room_id = $2 order by created_at, username",
        list.table()
    ))
    .bind(app)
    .bind(id.get())
    .fetch_all(pool)
    .await?)
}

/// Puts members on a list. Blocking also ends their membership and keeps them out; the owner
/// cannot be blocked but may be whitelisted.
pub async fn add_to_list(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
    single: bool,
    list: NameList,
) -> StoreResult<Vec<Outcome>> {
    let blocking = matches!(list, NameList::Blocks);
    let mut tx = pool.begin().await?;
    if blocking {
        lock_users(&mut tx, app, &strings(names), UserLock::Reference).await?;
    }
    let current = lock(&mut tx, app, kind, id).await?;
    let users = user_facts(&mut tx, app, kind, id.get(), names).await?;
    let outcomes = room::plan_members_only(&facts(kind, &current), &users, single, !blocking)?;
    let names = applied(&outcomes);
    if blocking {
        delete_members(&mut tx, app, id.get(), &names).await?;
    }
    sqlx::query(&format!(
        "insert into {} (app, room_id, username)
         select $1, $2, n from unnest($3::text[]) as n on conflict do nothing",
        list.table()
    ))
    .bind(app)
    .bind(id.get())
    .bind(&names)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Unblocks users. A single name that is not blocked is an error.
pub async fn unblock(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
    single: bool,
) -> StoreResult<Vec<Outcome>> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, app, kind, id).await?;
    let users = user_facts(&mut tx, app, kind, id.get(), names).await?;
    if let Some(u) = users.iter().find(|u| !u.exists) {
        return Err(room::user_not_found(u.name.as_str()).into());
    }
    if single && !users.iter().all(|u| u.blocked) {
        return Err(room::not_members(
            kind,
            &names.iter().map(Username::as_str).collect::<Vec<_>>(),
        )
        .into());
    }
    let outcomes: Vec<Outcome> = users
        .iter()
        .map(|u| {
            let o = if u.blocked {
                Ok(())
            } else {
                Err(format!(
                    "user: {} is not in the blocklist of {}: {}",
                    u.name,
                    kind.as_str(),
                    id
                ))
            };
            (u.name.clone(), o)
        })
        .collect();
    sqlx::query("delete from room_blocks where app = $1 and room_id = $2 and username = any($3)")
        .bind(app)
        .bind(id.get())
        .bind(applied(&outcomes))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(outcomes)
}

pub async fn whitelist_remove(
    pool: &PgPool,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
) -> StoreResult<Vec<Outcome>> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, app, kind, id).await?;
    let removed: Vec<String> = sqlx::query_scalar(
        "delete from room_whitelist where app = $1 and room_id = $2 and username = any($3) returning username",
    )
    .bind(app)
    .bind(id.get())
    .bind(strings(names))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(names
        .iter()
        .map(|n| {
            let o = if removed.iter().any(|r| r == n.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "user: {n} is not in the whitelist of {}: {id}",
                    kind.as_str()
                ))
            };
            (n.clone(), o)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Chatroom super admins (app level)

pub async fn super_admins(
    pool: &PgPool,
    app: Uuid,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select username from chatroom_super_admins where app = $1 order by seq offset $2 limit $3",
    )
    .bind(app)
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn add_super_admin(pool: &PgPool, app: Uuid, name: &Username) -> StoreResult<()> {
    let done = sqlx::query(
        "insert into chatroom_super_admins (app, username)
         select app, username from users where app = $1 and username = $2
         on conflict do nothing",
    )
    .bind(app)
    .bind(name.as_str())
    .execute(pool)
    .await?
    .rows_affected();
    if done == 0 && crate::users::get(pool, app, name.as_str()).await?.is_none() {
        return Err(room::user_not_found(name.as_str()).into());
    }
    Ok(())
}

pub async fn remove_super_admin(pool: &PgPool, app: Uuid, name: &Username) -> StoreResult<()> {
    let done = sqlx::query("delete from chatroom_super_admins where app = $1 and username = $2")
        .bind(app)
        .bind(name.as_str())
        .execute(pool)
        .await?
        .rows_affected();
    if done == 0 {
        if crate::users::get(pool, app, name.as_str()).await?.is_none() {
            return Err(room::user_not_found(name.as_str()).into());
        }
        return Err(DomainError::not_found(format!("user {name} is not a super admin")).into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Users leaving everything

/// Inside the caller's transaction, for users about to be deleted: deletes the rooms they own
/// and removes them from every other room, keeping member counts equal to the rows. The users
/// are locked first: while locked nobody can add them anywhere, so the set of rooms they are
/// in cannot change under us.
pub async fn purge_users(
    conn: &mut PgConnection,
    app: Uuid,
    usernames: &[String],
) -> StoreResult<()> {
    sqlx::query(
        "select 1 from users where app = $1 and username = any($2) order by username for update",
    )
    .bind(app)
    .bind(usernames)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "select 1 from rooms r
          where r.app = $1
            and exists (select 1 from room_members m
                         where m.app = r.app and m.room_id = r.id and m.username = any($2))
          order by r.id for update",
    )
    .bind(app)
    .bind(usernames)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from rooms where app = $1 and owner = any($2)")
        .bind(app)
        .bind(usernames)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "update rooms r set member_count = r.member_count - c.n, modified_at = now()
           from (select room_id, count(*)::int as n from room_members
                  where app = $1 and username = any($2) group by room_id) c
          where r.app = $1 and r.id = c.room_id",
    )
    .bind(app)
    .bind(usernames)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
