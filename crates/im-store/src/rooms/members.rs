//! Members and admins.

use super::*;

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
        let what = match kind {
            RoomKind::Thread => "thread",
            _ => "group",
        };
        return Err(
            DomainError::ServiceResourceNotFound(format!("do not find this {what}:{id}")).into(),
        );
    }
    Ok(())
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
