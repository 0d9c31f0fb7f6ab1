//! User attributes (`/metadata/user/…`): one string map per user, with its size beside it.
//!
//! The app's total of user attribute bytes is capped (`limits.user_attr_app_bytes`): a set that
//! grows it takes the app's guard and is checked as [`usage`] describes.

pub mod usage;

use crate::error::StoreResult;
use crate::rooms::decode;
use crate::Db;
use im_domain::attributes::{self, Attributes, Patch};
use im_domain::{room, Limits};
use sqlx::PgConnection;
use usage::{Kind, Mode};
use uuid::Uuid;

/// Locks the user row (`for no key update`), so that the user's attribute writes apply one
/// after the other; 404 when the user does not exist. The lock comes first, then any read: a
/// read in the locking statement would see the attributes as they were before the wait.
async fn lock_user(conn: &mut PgConnection, app: Uuid, username: &str) -> StoreResult<()> {
    let found: Option<i32> = sqlx::query_scalar(
        "select 1 from users where app = $1 and username = $2 for no key update",
    )
    .bind(app)
    .bind(username)
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(room::user_not_found(username).into()),
    }
}

/// Merges `patch` into the user's attributes; answers the whole set after the merge. Refused
/// (403) when the user's set or the app's total would grow past its limit.
pub async fn set(
    pool: &Db,
    app: Uuid,
    username: &str,
    patch: &Patch,
    limits: &Limits,
) -> StoreResult<Attributes> {
    let mut mode = None;
    loop {
        match set_once(pool, app, username, patch, limits, mode).await? {
            Some(merged) => return Ok(merged),
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
    username: &str,
    patch: &Patch,
    limits: &Limits,
    mode: Option<Mode>,
) -> StoreResult<Option<Attributes>> {
    let mut tx = pool.begin().await?;
    lock_user(&mut tx, app, username).await?;
    let current: Option<(serde_json::Value, i32)> =
        sqlx::query_as("select attrs, bytes from user_attributes where app = $1 and username = $2")
            .bind(app)
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
    let (current, old_bytes) = match current {
        Some((a, b)) => (Some(a), i64::from(b)),
        None => (None, 0),
    };
    let merged = attributes::apply_to_user(patch, decode(current), username, limits)?;
    let new_bytes = attributes::size(&merged) as i64;
    let growth = new_bytes - old_bytes;
    let cap = limits.user_attr_app_bytes;
    let max_growth = limits.user_attr_max_growth();
    let mut check_after = false;
    if growth > 0 {
        let mode = match mode {
            Some(m) => m,
            None => usage::choose_mode(&mut tx, app, Kind::User, growth, max_growth, cap).await?,
        };
        usage::guard(&mut tx, app, Kind::User, mode).await?;
        match mode {
            Mode::Exclusive => {
                let used = usage::total(&mut tx, app, Kind::User).await?;
                if used + growth > cap {
                    return Err(attributes::app_cap_exceeded(cap).into());
                }
            }
            Mode::Shared => check_after = true,
        }
    }
    if merged.is_empty() {
        sqlx::query("delete from user_attributes where app = $1 and username = $2")
            .bind(app)
            .bind(username)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query(
            "insert into user_attributes (app, username, attrs, bytes) values ($1, $2, $3, $4)
             on conflict (app, username)
             do update set attrs = excluded.attrs, bytes = excluded.bytes",
        )
        .bind(app)
        .bind(username)
        .bind(serde_json::json!(merged))
        .bind(new_bytes as i32)
        .execute(&mut *tx)
        .await?;
    }
    if check_after {
        let used = usage::total(&mut tx, app, Kind::User).await?;
        if !usage::far_from_cap(used, max_growth, cap) {
            tx.rollback().await?;
            return Ok(None);
        }
    }
    tx.commit().await?;
    Ok(Some(merged))
}

/// One user's attributes (empty when none); the user must exist.
pub async fn of_user(pool: &Db, app: Uuid, username: &str) -> StoreResult<Attributes> {
    let found: Option<Option<serde_json::Value>> = sqlx::query_scalar(
        "select a.attrs from users u
           left join user_attributes a on a.app = u.app and a.username = u.username
          where u.app = $1 and u.username = $2",
    )
    .bind(app)
    .bind(username)
    .fetch_optional(pool)
    .await?;
    match found {
        Some(a) => Ok(decode(a)),
        None => Err(room::user_not_found(username).into()),
    }
}

/// The chosen keys (all when none) of each named user that exists, in the order named; users
/// that do not exist are left out.
pub async fn of_users(
    pool: &Db,
    app: Uuid,
    usernames: &[String],
    keys: &[String],
) -> StoreResult<Vec<(String, Attributes)>> {
    let rows: Vec<(String, Option<serde_json::Value>)> = sqlx::query_as(
        "select u.username, a.attrs
           from unnest($2::text[]) with ordinality as n(name, ord)
           join users u on u.app = $1 and u.username = n.name
           left join user_attributes a on a.app = u.app and a.username = u.username
          order by n.ord",
    )
    .bind(app)
    .bind(usernames)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, a)| (u, attributes::select(decode(a), keys)))
        .collect())
}

/// Removes all of a user's attributes; the user must exist. Locks the user like a set does,
/// so that a set's size change is computed from what is really stored.
pub async fn delete(pool: &Db, app: Uuid, username: &str) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    lock_user(&mut tx, app, username).await?;
    sqlx::query("delete from user_attributes where app = $1 and username = $2")
        .bind(app)
        .bind(username)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Bytes used by every user attribute of the app: the sum of its counter rows.
pub async fn capacity(pool: &Db, app: Uuid) -> StoreResult<i64> {
    let mut conn = pool.acquire().await?;
    usage::total(&mut conn, app, Kind::User).await
}
