//! Chatroom custom attributes (`chatroom_attributes`). Writes lock the room row, so that two
//! members setting one key apply one after the other and the second sees the first's key.
//! A member's `autoDelete: DELETE` keys go with the membership through a foreign key.
//!
//! The app's total of chatroom attribute bytes is capped (`limits.chatroom_attr_app_bytes`):
//! a set that grows it takes the app's guard and is checked as `user_attributes::usage`
//! describes; keys that do not fit are refused in `errorKeys`. Deletes are never refused.

use super::*;
use crate::user_attributes::usage::{self, Kind, Mode};
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

/// Each named key that exists: its setter, and the bytes it takes in the app's total.
struct Existing {
    setters: BTreeMap<String, String>,
    bytes: BTreeMap<String, i64>,
}

async fn existing(
    conn: &mut PgConnection,
    app: Uuid,
    id: RoomId,
    keys: &[String],
) -> StoreResult<Existing> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "select key, setter, (octet_length(key) + octet_length(value))::bigint
           from chatroom_attributes
          where app = $1 and room_id = $2 and key = any($3)",
    )
    .bind(app)
    .bind(id.get())
    .bind(keys)
    .fetch_all(&mut *conn)
    .await?;
    let mut found = Existing {
        setters: BTreeMap::new(),
        bytes: BTreeMap::new(),
    };
    for (k, setter, bytes) in rows {
        found.bytes.insert(k.clone(), bytes);
        found.setters.insert(k, setter);
    }
    Ok(found)
}

/// A set: the pairs, whether they go when the member leaves, and whether it reaches keys other
/// members set.
pub struct AttributeSet {
    pub pairs: Vec<(String, String)>,
    pub auto: AutoDelete,
    pub forced: bool,
}

/// Sets keys for member `who`; per-key results. Keys that would grow the app's total past
/// its cap are refused.
pub async fn set_room_attributes(
    pool: &Db,
    app: Uuid,
    id: RoomId,
    who: &Username,
    set: AttributeSet,
    limits: &Limits,
) -> StoreResult<KeyResults> {
    let mut mode = None;
    loop {
        match set_once(pool, app, id, who, &set, limits, mode).await? {
            Some(results) => return Ok(results),
            // Too near the cap for the shared guard: again, exclusively.
            None => mode = Some(Mode::Exclusive),
        }
    }
}

/// One attempt at a set; `None` when it was rolled back to be tried exclusively. `mode` is the
/// guard's mode if the set grows the total (chosen from the total when `None`).
async fn set_once(
    pool: &Db,
    app: Uuid,
    id: RoomId,
    who: &Username,
    set: &AttributeSet,
    limits: &Limits,
    mode: Option<Mode>,
) -> StoreResult<Option<KeyResults>> {
    let mut tx = pool.begin().await?;
    lock_for(&mut tx, app, id, who, true).await?;
    let keys: Vec<String> = set.pairs.iter().map(|(k, _)| k.clone()).collect();
    let found = existing(&mut tx, app, id, &keys).await?;
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from chatroom_attributes where app = $1 and room_id = $2",
    )
    .bind(app)
    .bind(id.get())
    .fetch_one(&mut *tx)
    .await?;
    let (mut write, mut results) = rules::plan_set(
        set.pairs.clone(),
        &found.setters,
        stored,
        who.as_str(),
        set.forced,
        limits,
    )?;
    let cap = limits.chatroom_attr_app_bytes;
    let max_growth = limits.chatroom_attr_max_growth();
    let growth = rules::growth(&write, &found.bytes);
    let mut check_after = false;
    if growth > 0 {
        let mode = match mode {
            Some(m) => m,
            None => {
                usage::choose_mode(&mut tx, app, Kind::Chatroom, growth, max_growth, cap).await?
            }
        };
        usage::guard(&mut tx, app, Kind::Chatroom, mode).await?;
        match mode {
            Mode::Exclusive => {
                let used = usage::total(&mut tx, app, Kind::Chatroom).await?;
                (write, results) = rules::fit_app_cap(write, results, &found.bytes, used, cap)?;
            }
            Mode::Shared => check_after = true,
        }
    }
    if !write.is_empty() {
        let (keys, values): (Vec<String>, Vec<String>) = write.into_iter().unzip();
        let member = (set.auto == AutoDelete::Delete).then_some(who.as_str());
        sqlx::query(
            "insert into chatroom_attributes (app, room_id, key, value, setter, member)
             select $1, $2, n.key, n.value, $5, $6
               from unnest($3::text[], $4::text[]) as n(key, value)
             on conflict (app, room_id, key) do update
                set value = excluded.value, setter = excluded.setter,
                    member = excluded.member, updated_at = excluded.updated_at",
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
    if check_after {
        let used = usage::total(&mut tx, app, Kind::Chatroom).await?;
        if !usage::far_from_cap(used, max_growth, cap) {
            tx.rollback().await?;
            return Ok(None);
        }
    }
    tx.commit().await?;
    Ok(Some(results))
}

/// Deletes keys that `who` set (any keys when `forced`, which needs no membership); per-key
/// results.
pub async fn delete_room_attributes(
    pool: &Db,
    app: Uuid,
    id: RoomId,
    who: &Username,
    keys: Vec<String>,
    forced: bool,
) -> StoreResult<KeyResults> {
    let mut tx = pool.begin().await?;
    lock_for(&mut tx, app, id, who, !forced).await?;
    let found = existing(&mut tx, app, id, &keys).await?;
    let results = rules::plan_delete(keys, &found.setters, who.as_str(), forced);
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
    pool: &Db,
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
