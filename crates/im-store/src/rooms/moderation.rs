//! Mutes, blocks and the whitelist.

use super::*;
use crate::outbox;
use im_domain::callbacks::{self, Operation, Operator, RoomEvent};

/// Unexpired mutes as `(username, expire_ms)`.
pub async fn mutes(
    pool: &Db,
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
    pool: &Db,
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
    let events = RoomEvent::members(
        kind,
        id.get(),
        Operation::Mute,
        &Operator::App,
        callbacks::ADD,
        &applied(&outcomes),
        Some(expire),
    );
    outbox::record(&mut tx, app, &events).await?;
    tx.commit().await?;
    Ok((outcomes, expire))
}

/// Lifts mutes; `true` per name that was muted.
pub async fn unmute(
    pool: &Db,
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
    // Mutes that had expired were no longer in force: lifting them is no event.
    let in_force: Vec<String> = lifted
        .iter()
        .filter(|(_, expire)| *expire > now_ms)
        .map(|(n, _)| n.clone())
        .collect();
    let events = RoomEvent::members(
        kind,
        id.get(),
        Operation::Mute,
        &Operator::App,
        callbacks::REMOVE,
        &in_force,
        None,
    );
    outbox::record(&mut tx, app, &events).await?;
    tx.commit().await?;
    Ok(room::unmuted(names, &lifted, now_ms))
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
    pool: &Db,
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
    pool: &Db,
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
    let room = facts(kind, &current);
    let outcomes = if blocking {
        room::plan_block(&room, &users, single)?
    } else {
        room::plan_members_only(&room, &users, single, true)?
    };
    let names = applied(&outcomes);
    if blocking {
        delete_members(&mut tx, app, kind, id.get(), &names).await?;
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
    outbox::record(&mut tx, app, &list_added(kind, id, list, &names, &users)).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// The events of users put on a list: BLOCK/ADD (then LEAVE/BLOCK of those who were members),
/// or WHITE/ADD.
fn list_added(
    kind: RoomKind,
    id: RoomId,
    list: NameList,
    names: &[String],
    users: &[UserFacts],
) -> Vec<RoomEvent> {
    let (op, expire) = match list {
        NameList::Blocks => (Operation::Block, Some(callbacks::BLOCK_EXPIRE_MS)),
        NameList::Whitelist => (Operation::White, None),
    };
    let by = &Operator::App;
    let mut events = RoomEvent::members(kind, id.get(), op, by, callbacks::ADD, names, expire);
    if matches!(list, NameList::Blocks) {
        let left: Vec<String> = users
            .iter()
            .filter(|u| u.member && names.iter().any(|n| n == u.name.as_str()))
            .map(|u| u.name.as_str().to_owned())
            .collect();
        events.extend(RoomEvent::members(
            kind,
            id.get(),
            Operation::Leave,
            by,
            callbacks::LEAVE_BLOCK,
            &left,
            None,
        ));
    }
    events
}

/// Unblocks users. A single name that is not blocked is an error.
pub async fn unblock(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
    single: bool,
) -> StoreResult<Vec<Outcome>> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, app, kind, id).await?;
    let users = user_facts(&mut tx, app, kind, id.get(), names).await?;
    let outcomes = room::plan_unblock(&facts(kind, &current), &users, single)?;
    sqlx::query("delete from room_blocks where app = $1 and room_id = $2 and username = any($3)")
        .bind(app)
        .bind(id.get())
        .bind(applied(&outcomes))
        .execute(&mut *tx)
        .await?;
    let events = RoomEvent::members(
        kind,
        id.get(),
        Operation::Block,
        &Operator::App,
        callbacks::REMOVE,
        &applied(&outcomes),
        None,
    );
    outbox::record(&mut tx, app, &events).await?;
    tx.commit().await?;
    Ok(outcomes)
}

pub async fn whitelist_remove(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    names: &[Username],
) -> StoreResult<Vec<Outcome>> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, app, kind, id).await?;
    let removed: Vec<String> = sqlx::query_scalar(
        "delete from room_whitelist where app = $1 and room_id = $2 and username = any($3) returning username",
    )
    .bind(app)
    .bind(id.get())
    .bind(strings(names))
    .fetch_all(&mut *tx)
    .await?;
    let events = RoomEvent::members(
        kind,
        id.get(),
        Operation::White,
        &Operator::App,
        callbacks::REMOVE,
        &removed,
        None,
    );
    outbox::record(&mut tx, app, &events).await?;
    tx.commit().await?;
    Ok(room::list_removal(
        &facts(kind, &current),
        names,
        &removed,
        "whitelist",
    ))
}
