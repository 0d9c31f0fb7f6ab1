//! Rooms themselves: create, read, list, joined rooms, update and transfer, delete, and the
//! room-level flags (announcement, mute-all).

use super::*;
use crate::outbox;
use im_domain::callbacks::{self, Operation, Operator, Payload, RoomEvent};

pub struct NewRoom {
    /// A client-chosen id (groups' legacy `groupid`); otherwise one is made.
    pub id: Option<RoomId>,
    pub name: String,
    pub description: String,
    pub maxusers: i32,
    pub owner: Username,
    pub members: Vec<Username>,
    pub custom: String,
    pub flags: Flags,
}

/// The group flags (chatrooms keep the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub public: bool,
    pub membersonly: bool,
    pub allowinvites: bool,
    pub invite_need_confirm: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Self {
            public: true,
            membersonly: false,
            allowinvites: false,
            invite_need_confirm: true,
        }
    }
}

/// Creates a room with its owner and first members.
pub async fn create(
    pool: &Db,
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
    let f = new.flags;
    let created = sqlx::query_as::<_, Room>(&format!(
        "insert into rooms (app, id, kind, name, description, owner, maxusers, member_count, custom,
                            public, membersonly, allowinvites, invite_need_confirm)
         values ($1, coalesce($2, next_room_id()), $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $12)
         on conflict (app, id) do nothing
         returning {COLUMNS}"
    ))
    .bind(app)
    .bind(new.id.map(RoomId::get))
    .bind(kind.as_str())
    .bind(&new.name)
    .bind(&new.description)
    .bind(new.owner.as_str())
    .bind(new.maxusers)
    .bind(&new.custom)
    .bind(f.public)
    .bind(f.membersonly)
    .bind(f.allowinvites)
    .bind(f.invite_need_confirm)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        DomainError::illegal(format!(
            "group ID {} already exists!",
            new.id.map(|i| i.get()).unwrap_or_default()
        ))
    })?;
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
    let mut events = Vec::new();
    if let Some(appkey) = outbox::wanted(&mut tx, app, kind, &[Operation::Create]).await? {
        events.push(events::created(
            kind,
            &created,
            &appkey,
            &members,
            &Operator::App,
        ));
    }
    events.extend(RoomEvent::members(
        kind,
        created.id,
        Operation::Join,
        &Operator::App,
        callbacks::JOIN_DIRECT,
        &strings(&members),
        None,
    ));
    outbox::record(&mut tx, app, &events).await?;
    tx.commit().await?;
    let mut room = created;
    room.member_count += members.len() as i32;
    Ok(room)
}

pub async fn get(pool: &Db, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<Option<Room>> {
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
pub async fn require(pool: &Db, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<Room> {
    get(pool, app, kind, id)
        .await?
        .ok_or_else(|| room::not_found(kind, id).into())
}

/// A room with its first members (owner first), as details show it.
#[derive(Debug, Clone, FromRow)]
pub struct RoomWithMembers {
    #[sqlx(flatten)]
    pub room: Room,
    pub names: Vec<String>,
    pub roles: Vec<i16>,
}

/// Rooms by id, in the order asked, skipping those that do not exist, each with its first
/// `limit` members: one statement, its lookups per id (`limit 1`) so that no plan scans all
/// rooms.
///
/// One room (`GET /chatrooms/{id}`, the common case) has a statement of its own, whose generic
/// plan costs what a custom one does, so that each connection plans it once: with a list of ids
/// the generic plan guesses ten of them, and PostgreSQL would plan the statement afresh on every
/// call. The member limit is the configured number, written into the statement, so that a
/// generic plan knows it and reads the position index in order rather than sorting a big room.
pub async fn details(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    ids: &[RoomId],
    limit: i64,
) -> StoreResult<Vec<RoomWithMembers>> {
    let members = format!(
        "cross join lateral (
              select coalesce(array_agg(p.username order by p.pos), '{{}}') as names,
                     coalesce(array_agg(p.role order by p.pos), '{{}}') as roles
                from (select username, role, pos from room_members
                       where app = $1 and room_id = r.id and pos >= 0
                       order by pos limit {}) p) m",
        limit.max(0)
    );
    let columns = r_columns();
    let one = ids.len() == 1;
    let rooms = if one {
        "(select * from rooms where app = $1 and kind = $2 and id = $3 limit 1) r"
    } else {
        "unnest($3::bigint[]) with ordinality as q(id, ord)
         cross join lateral (select * from rooms
                              where app = $1 and kind = $2 and id = q.id limit 1) r"
    };
    let order = if one { "" } else { "order by q.ord" };
    let sql = format!("select {columns}, m.names, m.roles from {rooms} {members} {order}");
    let query = sqlx::query_as::<_, RoomWithMembers>(&sql)
        .bind(app)
        .bind(kind.as_str());
    let query = match ids {
        [id] => query.bind(id.get()),
        _ => query.bind(ids.iter().map(|i| i.get()).collect::<Vec<i64>>()),
    };
    Ok(query.fetch_all(pool).await?)
}

/// One page of rooms after the keyset position `after`, oldest first (or newest first), and
/// whether more follow.
pub async fn page(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    after: Option<i64>,
    limit: i64,
    newest_first: bool,
) -> StoreResult<(Vec<Room>, bool)> {
    let sql = if newest_first {
        format!("select {COLUMNS} from rooms where app = $1 and kind = $2 and id < $3 order by id desc limit $4")
    } else {
        format!("select {COLUMNS} from rooms where app = $1 and kind = $2 and id > $3 order by id limit $4")
    };
    let start = if newest_first { i64::MAX } else { 0 };
    let rows = sqlx::query_as::<_, Room>(&sql)
        .bind(app)
        .bind(kind.as_str())
        .bind(after.unwrap_or(start))
        .bind(limit + 1)
        .fetch_all(pool)
        .await?;
    Ok(crate::split_page(rows, limit))
}

/// Whether an existing user is a member of an existing room.
pub async fn is_member(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    username: &Username,
) -> StoreResult<bool> {
    let (room_exists, exists, member): (bool, bool, bool) = sqlx::query_as(
        "select exists (select 1 from rooms where app = $1 and kind = $4 and id = $2),
                exists (select 1 from users where app = $1 and username = $3),
                exists (select 1 from room_members where app = $1 and room_id = $2 and username = $3)",
    )
    .bind(app)
    .bind(id.get())
    .bind(username.as_str())
    .bind(kind.as_str())
    .fetch_one(pool)
    .await?;
    if !room_exists {
        return Err(room::room_not_found(id).into());
    }
    if !exists {
        return Err(room::user_not_found(username.as_str()).into());
    }
    Ok(member)
}

/// A page of the rooms a user is in, newest join first, and how many they are in: one statement.
pub async fn joined(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    username: &Username,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<Room>, i64)> {
    // An unknown user gives no row; a user with no room in the page gives one without a room.
    // The page is cut from the index alone, then only its rooms are read. A page in the back
    // half of the list is counted from the oldest join forwards: the user's counter, read in the
    // same snapshot, is exactly their rows of this kind, so no page skips more than half of them.
    let rows = sqlx::query_as::<_, JoinedRow>(&format!(
        "with u as materialized (
             select coalesce((select n::bigint from user_room_counts
                               where app = $1 and username = $2 and kind = $3), 0) as n
               from users where app = $1 and username = $2),
         page as materialized (
             (select room_id, joined_at from room_members
               where app = $1 and username = $2 and kind = $3 and $4 <= (select n from u) / 2
               order by joined_at desc, room_id desc
               offset $4 limit $5)
             union all
             (select room_id, joined_at from room_members
               where app = $1 and username = $2 and kind = $3 and $4 > (select n from u) / 2
               order by joined_at, room_id
               offset greatest((select n from u) - $4 - $5, 0)
               limit greatest(least($5, (select n from u) - $4), 0)))
         select u.n as total, x.*
           from u left join (select {}, p.joined_at as page_joined_at from page p
                               join rooms r on r.app = $1 and r.id = p.room_id) x on true
          order by x.page_joined_at desc, x.id desc",
        r_columns()
    ))
    .bind(app)
    .bind(username.as_str())
    .bind(kind.as_str())
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let Some(total) = rows.first().map(|r| r.total) else {
        return Err(room::user_not_found(username.as_str()).into());
    };
    Ok((rows.into_iter().filter_map(|r| r.room).collect(), total))
}

/// A row of [`joined`]: the user's count, and a room of the page unless the page is empty.
struct JoinedRow {
    total: i64,
    room: Option<Room>,
}

impl<'r> FromRow<'r, sqlx::postgres::PgRow> for JoinedRow {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        let id: Option<i64> = row.try_get("id")?;
        Ok(Self {
            total: row.try_get("total")?,
            room: id.map(|_| Room::from_row(row)).transpose()?,
        })
    }
}

/// What an update may change.
#[derive(Debug, Default)]
pub struct RoomUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub maxusers: Option<i32>,
    pub new_owner: Option<Username>,
    pub custom: Option<String>,
    pub public: Option<bool>,
    pub membersonly: Option<bool>,
    pub allowinvites: Option<bool>,
    pub invite_need_confirm: Option<bool>,
}

/// Applies an update and/or an owner transfer in one transaction.
pub async fn update(
    pool: &Db,
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
    let old_owner = current.owner.clone();
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
        sqlx::query(&format!(
            "update room_members set role = 0, pos = {LAST_POS} + 1
              where app = $1 and room_id = $2 and username = $3"
        ))
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
        // The owner can never be muted.
        sqlx::query("delete from room_mutes where app = $1 and room_id = $2 and username = $3")
            .bind(app)
            .bind(id.get())
            .bind(new_owner.as_str())
            .execute(&mut *tx)
            .await?;
    }
    current = sqlx::query_as::<_, Room>(&format!(
        "update rooms set name = coalesce($3, name), description = coalesce($4, description),
                maxusers = coalesce($5, maxusers), owner = coalesce($6, owner),
                custom = coalesce($7, custom), public = coalesce($8, public),
                membersonly = coalesce($9, membersonly), allowinvites = coalesce($10, allowinvites),
                invite_need_confirm = coalesce($11, invite_need_confirm), modified_at = now()
          where app = $1 and id = $2
          returning {COLUMNS}"
    ))
    .bind(app)
    .bind(id.get())
    .bind(&up.name)
    .bind(&up.description)
    .bind(up.maxusers)
    .bind(up.new_owner.as_ref().map(Username::as_str))
    .bind(&up.custom)
    .bind(up.public)
    .bind(up.membersonly)
    .bind(up.allowinvites)
    .bind(up.invite_need_confirm)
    .fetch_one(&mut *tx)
    .await?;
    let events = events::updated(kind, &up, &old_owner, &current, &Operator::App);
    outbox::record(&mut tx, app, &events).await?;
    tx.commit().await?;
    Ok(current)
}

/// Deletes a room and everything in it. With a rule that takes them, its members leave
/// (`LEAVE`/`DELETE`) and the room goes (`DELETE`) in the same transaction.
pub async fn delete(pool: &Db, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    lock_any(&mut tx, app, kind, id).await?;
    let wanted = [Operation::Leave, Operation::Delete];
    if outbox::wanted(&mut tx, app, kind, &wanted).await?.is_some() {
        let members: Vec<String> = sqlx::query_scalar(
            "select username from room_members
              where app = $1 and room_id = $2 and pos >= 0 order by pos",
        )
        .bind(app)
        .bind(id.get())
        .fetch_all(&mut *tx)
        .await?;
        let events = callbacks::room_deleted(kind, id.get(), &Operator::App, &members);
        outbox::record(&mut tx, app, &events).await?;
    }
    sqlx::query("delete from rooms where app = $1 and kind = $2 and id = $3")
        .bind(app)
        .bind(kind.as_str())
        .bind(id.get())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a room's text/flag column, under the room lock (a disabled room refuses it), with its
/// UPDATE event.
async fn set_column<V>(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    (column, value): (&'static str, V),
    event: Payload,
) -> StoreResult<()>
where
    V: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
{
    let mut tx = pool.begin().await?;
    lock(&mut tx, app, kind, id).await?;
    sqlx::query(&format!(
        "update rooms set {column} = $3, modified_at = now() where app = $1 and id = $2"
    ))
    .bind(app)
    .bind(id.get())
    .bind(value)
    .execute(&mut *tx)
    .await?;
    let events = [RoomEvent::update(kind, id.get(), &Operator::App, event)];
    if callbacks::has_events(kind) {
        outbox::record(&mut tx, app, &events).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn set_announcement(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    text: &str,
) -> StoreResult<()> {
    let event = Payload::Announcement(Some(text.to_owned()).filter(|t| !t.is_empty()));
    set_column(
        pool,
        app,
        kind,
        id,
        ("announcement", text.to_owned()),
        event,
    )
    .await
}

/// Mute-all on or off.
pub async fn set_muted_all(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    on: bool,
) -> StoreResult<()> {
    set_column(pool, app, kind, id, ("muted_all", on), Payload::MuteAll(on)).await
}

/// Disables or enables a group (the one write a disabled group accepts besides delete).
pub async fn set_disabled(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    disabled: bool,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "update rooms set disabled = $4, modified_at = now() where app = $1 and kind = $2 and id = $3",
    )
    .bind(app)
    .bind(kind.as_str())
    .bind(id.get())
    .bind(disabled)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(room::room_not_found(id).into());
    }
    let events = [RoomEvent::update(
        kind,
        id.get(),
        &Operator::App,
        Payload::Disable(disabled),
    )];
    outbox::record(&mut tx, app, &events).await?;
    tx.commit().await?;
    Ok(())
}
