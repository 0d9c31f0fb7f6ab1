//! Group member attributes, kept on the membership row (`room_members.attrs`).

use super::*;
use im_domain::attributes::{self, Attributes, Patch};

/// Fails unless `name` exists and is a member of the room; the room must exist.
async fn require_member(
    conn: &mut PgConnection,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    name: &Username,
) -> StoreResult<Option<serde_json::Value>> {
    let users = user_facts(conn, app, kind, id.get(), std::slice::from_ref(name)).await?;
    let u = &users[0];
    if !u.exists {
        return Err(room::user_not_found(name.as_str()).into());
    }
    if !u.member {
        return Err(room::not_members(kind, &[name.as_str()]).into());
    }
    Ok(sqlx::query_scalar(
        "select attrs from room_members where app = $1 and room_id = $2 and username = $3",
    )
    .bind(app)
    .bind(id.get())
    .bind(name.as_str())
    .fetch_one(&mut *conn)
    .await?)
}

/// A stored attribute map (a JSON object of strings); missing or unreadable reads as empty.
pub(crate) fn decode(v: Option<serde_json::Value>) -> Attributes {
    v.and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Merges `patch` into a member's attributes; answers the whole set after the merge.
pub async fn set_attributes(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    name: &Username,
    patch: &Patch,
    limits: &Limits,
) -> StoreResult<Attributes> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, app, kind, id).await?;
    let current = decode(require_member(&mut tx, app, kind, id, name).await?);
    let merged = patch.apply(current, name.as_str(), id, limits)?;
    let stored = (!merged.is_empty()).then(|| serde_json::json!(merged));
    sqlx::query(
        "update room_members set attrs = $4 where app = $1 and room_id = $2 and username = $3",
    )
    .bind(app)
    .bind(id.get())
    .bind(name.as_str())
    .bind(stored)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(merged)
}

/// One member's attributes.
pub async fn attributes_of(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    name: &Username,
) -> StoreResult<Attributes> {
    require(pool, app, kind, id).await?;
    let mut conn = pool.acquire().await?;
    Ok(decode(
        require_member(&mut conn, app, kind, id, name).await?,
    ))
}

/// The chosen keys (all when none) of each target that is a member; others are left out.
pub async fn attributes_of_many(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    targets: &[Username],
    keys: &[String],
) -> StoreResult<Vec<(String, Attributes)>> {
    require(pool, app, kind, id).await?;
    let rows: Vec<(String, Option<serde_json::Value>)> = sqlx::query_as(
        "select m.username, m.attrs
           from unnest($3::text[]) with ordinality as n(name, ord)
           join room_members m on m.app = $1 and m.room_id = $2 and m.username = n.name
          order by n.ord",
    )
    .bind(app)
    .bind(id.get())
    .bind(strings(targets))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, a)| (u, attributes::select(decode(a), keys)))
        .collect())
}
