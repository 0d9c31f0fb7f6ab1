use crate::error::StoreResult;
use crate::Db;
use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

/// One application (tenant).
#[derive(Debug, Clone, FromRow)]
pub struct App {
    pub id: Uuid,
    pub app_id: String,
    pub org_name: String,
    pub app_name: String,
    pub client_id: String,
    pub client_secret_hash: String,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, app_id, org_name, app_name, client_id, client_secret_hash, created_at";

pub struct NewApp<'a> {
    pub org_name: &'a str,
    pub app_name: &'a str,
    pub client_id: &'a str,
    pub client_secret_hash: &'a str,
}

/// Creates an app; `None` when `org_name#app_name` is taken.
pub async fn create(pool: &Db, new: NewApp<'_>) -> StoreResult<Option<App>> {
    let id = Uuid::new_v4();
    let app_id = Uuid::new_v4().simple().to_string();
    let mut tx = pool.begin().await?;
    let row = sqlx::query_as::<_, App>(&format!(
        "insert into apps (id, app_id, org_name, app_name, client_id, client_secret_hash)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (org_name, app_name) do nothing
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(app_id)
    .bind(new.org_name)
    .bind(new.app_name)
    .bind(new.client_id)
    .bind(new.client_secret_hash)
    .fetch_optional(&mut *tx)
    .await?;
    if row.is_some() {
        // The app's attribute byte counters (see `user_attributes::usage`): 16 rows per kind.
        sqlx::query(
            "insert into attribute_usage (app, kind, shard)
             select $1, k.kind, s.shard
               from (values ('chatroom'), ('user')) as k(kind)
              cross join generate_series(0, 15) as s(shard)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(row)
}

pub async fn list(pool: &Db) -> StoreResult<Vec<App>> {
    Ok(sqlx::query_as::<_, App>(&format!(
        "select {COLUMNS} from apps order by created_at, org_name, app_name"
    ))
    .fetch_all(pool)
    .await?)
}

pub async fn count(pool: &Db) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("select count(*) from apps")
        .fetch_one(pool)
        .await?)
}

pub async fn by_names(pool: &Db, org: &str, app: &str) -> StoreResult<Option<App>> {
    Ok(sqlx::query_as::<_, App>(&format!(
        "select {COLUMNS} from apps where org_name = $1 and app_name = $2"
    ))
    .bind(org)
    .bind(app)
    .fetch_optional(pool)
    .await?)
}

pub async fn by_app_id(pool: &Db, app_id: &str) -> StoreResult<Option<App>> {
    Ok(
        sqlx::query_as::<_, App>(&format!("select {COLUMNS} from apps where app_id = $1"))
            .bind(app_id)
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn by_id(pool: &Db, id: Uuid) -> StoreResult<Option<App>> {
    Ok(
        sqlx::query_as::<_, App>(&format!("select {COLUMNS} from apps where id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Replaces an app's client secret hash; `None` when the app does not exist.
pub async fn set_secret(
    pool: &Db,
    org: &str,
    app: &str,
    secret_hash: &str,
) -> StoreResult<Option<App>> {
    Ok(sqlx::query_as::<_, App>(&format!(
        "update apps set client_secret_hash = $3, modified_at = now()
         where org_name = $1 and app_name = $2 returning {COLUMNS}"
    ))
    .bind(org)
    .bind(app)
    .bind(secret_hash)
    .fetch_optional(pool)
    .await?)
}
