//! Global user mutes: one row per user and conversation type. Reads leave out the rows whose
//! time has passed, so an expired mute needs no job to disappear.

use crate::error::StoreResult;
use crate::Db;
use chrono::{DateTime, Utc};
use im_domain::user_mutes::{MuteChange, MuteKind};
use uuid::Uuid;

/// One mute: the user, its conversation type and its expiry (`None`: for ever).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserMute {
    pub username: String,
    pub kind: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Applies the changes for one user in one transaction. `false` when the user does not exist
/// (nothing is written).
pub async fn set(
    pool: &Db,
    app: Uuid,
    username: &str,
    changes: &[(MuteKind, MuteChange)],
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let exists: bool = sqlx::query_scalar(
        "select exists (select 1 from users where app = $1 and username = $2 for key share)",
    )
    .bind(app)
    .bind(username)
    .fetch_one(&mut *tx)
    .await?;
    if !exists {
        return Ok(false);
    }
    let lifted: Vec<&str> = changes
        .iter()
        .filter(|(_, c)| *c == MuteChange::Lift)
        .map(|(k, _)| k.as_str())
        .collect();
    let mut kinds = Vec::new();
    let mut expiries: Vec<Option<DateTime<Utc>>> = Vec::new();
    for (k, c) in changes.iter().filter(|(_, c)| *c != MuteChange::Lift) {
        kinds.push(k.as_str());
        expiries.push(
            c.expires_ms(now.timestamp_millis())
                .and_then(DateTime::from_timestamp_millis),
        );
    }
    if !lifted.is_empty() {
        sqlx::query("delete from user_mutes where app = $1 and username = $2 and kind = any($3)")
            .bind(app)
            .bind(username)
            .bind(&lifted)
            .execute(&mut *tx)
            .await?;
    }
    if !kinds.is_empty() {
        sqlx::query(
            "insert into user_mutes (app, username, kind, expires_at)
             select $1, $2, n.kind, n.expires_at
               from unnest($3::text[], $4::timestamptz[]) as n(kind, expires_at)
             on conflict (app, username, kind) do update set expires_at = excluded.expires_at",
        )
        .bind(app)
        .bind(username)
        .bind(&kinds)
        .bind(&expiries)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A user's mutes in force at `now`; `None` when the user does not exist.
pub async fn of_user(
    pool: &Db,
    app: Uuid,
    username: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Vec<UserMute>>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        username: String,
        kind: Option<String>,
        expires_at: Option<DateTime<Utc>>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select u.username, m.kind, m.expires_at
           from users u
           left join user_mutes m
             on m.app = u.app and m.username = u.username
            and (m.expires_at is null or m.expires_at > $3)
          where u.app = $1 and u.username = $2",
    )
    .bind(app)
    .bind(username)
    .bind(now)
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .filter_map(|r| {
                r.kind.map(|kind| UserMute {
                    username: r.username,
                    kind,
                    expires_at: r.expires_at,
                })
            })
            .collect(),
    ))
}

/// A page of the app's mutes in force at `now`, by user then type (the primary key's order).
pub async fn page(
    pool: &Db,
    app: Uuid,
    now: DateTime<Utc>,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<UserMute>> {
    Ok(sqlx::query_as(
        "select username, kind, expires_at from user_mutes
          where app = $1 and (expires_at is null or expires_at > $2)
          order by username, kind offset $3 limit $4",
    )
    .bind(app)
    .bind(now)
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
