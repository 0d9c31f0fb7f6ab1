//! Rooms themselves: create, read, list, joined rooms, update and transfer, delete, and the
//! room-level flags (announcement, mute-all).

use super::*;

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
