//! Callback rules: where an app's events go. A change of the rules applies to the next change of
//! data on every instance (the outbox reads them in the change's own transaction).

use crate::error::StoreResult;
use crate::Db;
use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

/// A rule, with its secret still sealed.
#[derive(Debug, Clone, FromRow)]
pub struct Rule {
    pub app: Uuid,
    pub id: Uuid,
    pub url: String,
    pub secret_sealed: Vec<u8>,
    pub secret_kid: String,
    /// `group` and/or `chatroom`.
    pub kinds: Vec<String>,
    /// Operation names; `None`: every operation.
    pub operations: Option<Vec<String>>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    /// Paused after too many failures in a short time, until then.
    pub paused_until: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "app, id, url, secret_sealed, secret_kid, kinds, operations, enabled, created_at, paused_until";

pub struct NewRule<'a> {
    pub url: &'a str,
    pub secret_sealed: &'a [u8],
    pub secret_kid: &'a str,
    pub kinds: &'a [String],
    pub operations: Option<&'a [String]>,
    pub enabled: bool,
}

/// Creates a rule; `None` when the app has `max_rules` already. Rules of one app are created
/// one at a time (the app row is locked), so the bound holds under concurrent creates.
pub async fn create(
    pool: &Db,
    app: Uuid,
    new: NewRule<'_>,
    max_rules: i64,
) -> StoreResult<Option<Rule>> {
    let mut tx = pool.begin().await?;
    sqlx::query("select 1 from apps where id = $1 for no key update")
        .bind(app)
        .execute(&mut *tx)
        .await?;
    let count: i64 = sqlx::query_scalar("select count(*) from callback_rules where app = $1")
        .bind(app)
        .fetch_one(&mut *tx)
        .await?;
    if count >= max_rules {
        return Ok(None);
    }
    let rule = sqlx::query_as::<_, Rule>(&format!(
        "insert into callback_rules (app, id, url, secret_sealed, secret_kid, kinds, operations, enabled)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         returning {COLUMNS}"
    ))
    .bind(app)
    .bind(Uuid::new_v4())
    .bind(new.url)
    .bind(new.secret_sealed)
    .bind(new.secret_kid)
    .bind(new.kinds)
    .bind(new.operations)
    .bind(new.enabled)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(rule))
}

/// The app's rules, oldest first.
pub async fn list(pool: &Db, app: Uuid) -> StoreResult<Vec<Rule>> {
    Ok(sqlx::query_as::<_, Rule>(&format!(
        "select {COLUMNS} from callback_rules where app = $1 order by created_at, id"
    ))
    .bind(app)
    .fetch_all(pool)
    .await?)
}

pub async fn get(pool: &Db, app: Uuid, id: Uuid) -> StoreResult<Option<Rule>> {
    Ok(sqlx::query_as::<_, Rule>(&format!(
        "select {COLUMNS} from callback_rules where app = $1 and id = $2"
    ))
    .bind(app)
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// What an update of a rule may change.
#[derive(Debug, Default)]
pub struct RuleUpdate {
    pub url: Option<String>,
    pub kinds: Option<Vec<String>>,
    /// `Some(None)`: every operation again.
    pub operations: Option<Option<Vec<String>>>,
    pub enabled: Option<bool>,
}

/// Updates a rule; `None` when there is none. Enabling a rule also lifts its pause.
pub async fn update(pool: &Db, app: Uuid, id: Uuid, up: &RuleUpdate) -> StoreResult<Option<Rule>> {
    let (set_ops, ops) = match &up.operations {
        Some(ops) => (true, ops.clone()),
        None => (false, None),
    };
    Ok(sqlx::query_as::<_, Rule>(&format!(
        "update callback_rules
            set url = coalesce($3, url), kinds = coalesce($4, kinds),
                operations = case when $5 then $6 else operations end,
                enabled = coalesce($7, enabled),
                paused_until = case when $7 then null else paused_until end,
                window_failures = case when $7 then 0 else window_failures end
          where app = $1 and id = $2
          returning {COLUMNS}"
    ))
    .bind(app)
    .bind(id)
    .bind(&up.url)
    .bind(&up.kinds)
    .bind(set_ops)
    .bind(ops)
    .bind(up.enabled)
    .fetch_optional(pool)
    .await?)
}

/// Removes a rule with everything it still had to deliver and its dead letters, in one
/// transaction; `false` when there was none.
pub async fn remove(pool: &Db, app: Uuid, id: Uuid) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let gone = sqlx::query("delete from callback_rules where app = $1 and id = $2")
        .bind(app)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    for table in [
        "callback_deliveries",
        "callback_streams",
        "callback_dead_letters",
    ] {
        sqlx::query(&format!(
            "delete from {table} where app = $1 and rule_id = $2"
        ))
        .bind(app)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(gone > 0)
}
