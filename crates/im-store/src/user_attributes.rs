//! User attributes (`/metadata/user/…`): one string map per user, with its size beside it.

use crate::error::StoreResult;
use crate::rooms::decode;
use im_domain::attributes::{self, Attributes, Patch};
use im_domain::{room, Limits};
use sqlx::PgPool;
use uuid::Uuid;

/// Merges `patch` into the user's attributes; answers the whole set after the merge. The user
/// row is locked so that concurrent sets of one user apply one after the other.
pub async fn set(
    pool: &PgPool,
    app: Uuid,
    username: &str,
    patch: &Patch,
    limits: &Limits,
) -> StoreResult<Attributes> {
    let mut tx = pool.begin().await?;
    // The lock first, then the read: a read in the locking statement would see the attributes
    // as they were before the wait.
    let found: Option<i32> = sqlx::query_scalar(
        "select 1 from users where app = $1 and username = $2 for no key update",
    )
    .bind(app)
    .bind(username)
    .fetch_optional(&mut *tx)
    .await?;
    if found.is_none() {
        return Err(room::user_not_found(username).into());
    }
    let current: Option<serde_json::Value> =
        sqlx::query_scalar("select attrs from user_attributes where app = $1 and username = $2")
            .bind(app)
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
    let merged = attributes::apply_to_user(patch, decode(current), username, limits)?;
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
        .bind(attributes::size(&merged) as i32)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(merged)
}

/// One user's attributes (empty when none); the user must exist.
pub async fn of_user(pool: &PgPool, app: Uuid, username: &str) -> StoreResult<Attributes> {
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
    pool: &PgPool,
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

/// Removes all of a user's attributes; the user must exist.
pub async fn delete(pool: &PgPool, app: Uuid, username: &str) -> StoreResult<()> {
    let found: Option<bool> = sqlx::query_scalar(
        "with gone as (delete from user_attributes where app = $1 and username = $2)
         select true from users where app = $1 and username = $2",
    )
    .bind(app)
    .bind(username)
    .fetch_optional(pool)
    .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(room::user_not_found(username).into()),
    }
}

/// Bytes used by every user attribute of the app.
pub async fn capacity(pool: &PgPool, app: Uuid) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(bytes), 0)::bigint from user_attributes where app = $1",
    )
    .bind(app)
    .fetch_one(pool)
    .await?)
}
