//! Per-app rate limits set by the operator, and the heartbeat of the instances that share them.
//!
//! Both are read by every instance every few seconds (not per request): the limits are few rows,
//! the instances one row each.

use crate::error::StoreResult;
use crate::Db;
use std::collections::HashMap;
use uuid::Uuid;

/// The operation name of an app's default limit.
pub const APP_DEFAULT: &str = "*";

/// An app's limits: operation (or [`APP_DEFAULT`]) to requests a second.
pub type AppLimits = HashMap<String, u32>;

/// Every app's limits.
pub async fn all(pool: &Db) -> StoreResult<HashMap<Uuid, AppLimits>> {
    let mut tx = crate::citus::cross_app(pool).await?;
    let rows: Vec<(Uuid, String, i32)> =
        sqlx::query_as("select app, operation, per_second from app_rate_limits")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    let mut out: HashMap<Uuid, AppLimits> = HashMap::new();
    for (app, op, n) in rows {
        out.entry(app).or_default().insert(op, n.max(1) as u32);
    }
    Ok(out)
}

/// One app's limits.
pub async fn of_app(pool: &Db, app: Uuid) -> StoreResult<AppLimits> {
    let rows: Vec<(String, i32)> =
        sqlx::query_as("select operation, per_second from app_rate_limits where app = $1")
            .bind(app)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(o, n)| (o, n.max(1) as u32))
        .collect())
}

/// A change of one app's limits, applied in one transaction: first `clear` (every limit) or
/// `unset` (the named ones), then `set`.
#[derive(Debug, Default)]
pub struct Change {
    pub clear: bool,
    pub unset: Vec<String>,
    pub set: Vec<(String, u32)>,
}

/// Applies `change` and answers the app's limits after it.
pub async fn change(pool: &Db, app: Uuid, change: &Change) -> StoreResult<AppLimits> {
    let mut tx = pool.begin().await?;
    if change.clear {
        sqlx::query("delete from app_rate_limits where app = $1")
            .bind(app)
            .execute(&mut *tx)
            .await?;
    } else if !change.unset.is_empty() {
        sqlx::query("delete from app_rate_limits where app = $1 and operation = any($2)")
            .bind(app)
            .bind(&change.unset)
            .execute(&mut *tx)
            .await?;
    }
    if !change.set.is_empty() {
        let (ops, values): (Vec<String>, Vec<i32>) = change
            .set
            .iter()
            .map(|(o, n)| (o.clone(), (*n).min(i32::MAX as u32) as i32))
            .unzip();
        sqlx::query(
            "insert into app_rate_limits (app, operation, per_second)
             select $1, o, n from unnest($2::text[], $3::int[]) as t (o, n)
             on conflict (app, operation) do update set per_second = excluded.per_second",
        )
        .bind(app)
        .bind(&ops)
        .bind(&values)
        .execute(&mut *tx)
        .await?;
    }
    let rows: Vec<(String, i32)> =
        sqlx::query_as("select operation, per_second from app_rate_limits where app = $1")
            .bind(app)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(o, n)| (o, n.max(1) as u32))
        .collect())
}

/// Marks instance `id` alive, forgets instances silent for `forget_secs`, and answers how many
/// were seen within `live_secs` (this one included).
pub async fn heartbeat(pool: &Db, id: Uuid, live_secs: f64, forget_secs: f64) -> StoreResult<u32> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "insert into server_instances (id, seen_at) values ($1, now())
         on conflict (id) do update set seen_at = excluded.seen_at",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("delete from server_instances where seen_at < now() - make_interval(secs => $1)")
        .bind(forget_secs)
        .execute(&mut *tx)
        .await?;
    let live: i64 = sqlx::query_scalar(
        "select count(*) from server_instances where seen_at >= now() - make_interval(secs => $1)",
    )
    .bind(live_secs)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(live.clamp(1, i64::from(u32::MAX)) as u32)
}
