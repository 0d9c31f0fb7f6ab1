//! Chatroom custom attributes (`chatroom_attributes`). Writes lock the room row, so that two
//! members setting one key apply one after the other and the second sees the first's key.
//! A member's `autoDelete: DELETE` keys go with the membership through a foreign key.

use super::*;
use im_domain::room_attributes::{self as rules, AutoDelete, KeyResults};
use std::collections::BTreeMap;

const KIND: RoomKind = RoomKind::Chatroom;

/// Locks the chatroom and checks `who`: it must exist, and be a member when `must_be_member`.
async fn lock_for(
    conn: &mut PgConnection,
    app: Uuid,
    id: RoomId,
    who: &Username,
    must_be_member: bool,
) -> StoreResult<()> {
    lock(conn, app, KIND, id).await?;
    let facts = user_facts(conn, app, KIND, id.get(), std::slice::from_ref(who)).await?;
    if !facts[0].exists {
        return Err(room::user_not_found(who.as_str()).into());
    }
    if must_be_member && !facts[0].member {
        return Err(rules::not_in_chatroom().into());
    }
    Ok(())
}

/// The setter of each named key that exists.
async fn setters(
    conn: &mut PgConnection,
    app: Uuid,
    id: RoomId,
    keys: &[String],
) -> StoreResult<BTreeMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select key, setter from chatroom_attributes
          where app = $1 and room_id = $2 and key = any($3)",
    )
    .bind(app)
    .bind(id.get())
    .bind(keys)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// A set: the pairs, whether they go when the member leaves, and whether it reaches keys other
/// members set.
pub struct AttributeSet {
    pub pairs: Vec<(String, String)>,
    pub auto: AutoDelete,
    pub forced: bool,
}

/// Sets keys for member `who`; per-key results.
pub async fn set_room_attributes(
    pool: &PgPool,
    app: Uuid,
    id: RoomId,
    who: &Username,
    set: AttributeSet,
    limits: &Limits,
) -> StoreResult<KeyResults> {
    let AttributeSet {
        pairs,
        auto,
        forced,
    } = set;
    let mut tx = pool.begin().await?;
    lock_for(&mut tx, app, id, who, true).await?;
    let keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    let owners = setters(&mut tx, app, id, &keys).await?;
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from chatroom_attributes where app = $1 and room_id = $2",
    )
    .bind(app)
    .bind(id.get())
    .fetch_one(&mut *tx)
    .await?;
    let (write, results) = rules::plan_set(pairs, &owners, stored, who.as_str(), forced, limits)?;
    if !write.is_empty() {
        let (keys, values): (Vec<String>, Vec<String>) = write.into_iter().unzip();
        let member = (auto == AutoDelete::Delete).then_some(who.as_str());
        sqlx::query(
            "insert into chatroom_attributes (app, room_id, key, value, setter, member)
             select $1, $2, n.key, n.value, $5, $6
               from unnest($3::text[], $4::text[]) as n(key, value)
             on conflict (app, room_id, key) do update
                set value = excluded.value, setter = excluded.setter,
                    member = excluded.member, updated_at = now()",
        )
        .bind(app)
        .bind(id.get())
        .bind(&keys)
        .bind(&values)
        .bind(who.as_str())
        .bind(member)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// Deletes keys that `who` set (any keys when `forced`, which needs no membership); per-key
/// results.
pub async fn delete_room_attributes(
    pool: &PgPool,
    app: Uuid,
    id: RoomId,
    who: &Username,
    keys: Vec<String>,
    forced: bool,
) -> StoreResult<KeyResults> {
    let mut tx = pool.begin().await?;
    lock_for(&mut tx, app, id, who, !forced).await?;
    let owners = setters(&mut tx, app, id, &keys).await?;
    let results = rules::plan_delete(keys, &owners, who.as_str(), forced);
    if !results.success.is_empty() {
        sqlx::query(
            "delete from chatroom_attributes where app = $1 and room_id = $2 and key = any($3)",
        )
        .bind(app)
        .bind(id.get())
        .bind(&results.success)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// The chosen keys (all when none) of a chatroom, by key.
pub async fn room_attributes(
    pool: &PgPool,
    app: Uuid,
    id: RoomId,
    keys: &[String],
) -> StoreResult<Vec<(String, String)>> {
    require(pool, app, KIND, id).await?;
    Ok(sqlx::query_as(
        "select key, value from chatroom_attributes
          where app = $1 and room_id = $2 and (cardinality($3::text[]) = 0 or key = any($3))
          order by key",
    )
    .bind(app)
    .bind(id.get())
    .bind(keys)
    .fetch_all(pool)
    .await?)
}
