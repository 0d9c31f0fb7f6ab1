use crate::error::StoreResult;
use crate::Db;
use rand::RngCore;

/// A token signing key.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

/// A table of keys shared by every instance.
#[derive(Debug, Clone, Copy)]
pub enum Keys {
    /// Token signing keys.
    Signing,
    /// The keys that seal callback secrets.
    Callback,
}

impl Keys {
    fn table(self) -> &'static str {
        match self {
            Keys::Signing => "signing_keys",
            Keys::Callback => "callback_keys",
        }
    }
}

/// Loads every signing key, newest first, creating the first one when there is none.
pub async fn load_or_create(pool: &Db) -> StoreResult<Vec<SigningKey>> {
    load_or_create_in(pool, Keys::Signing).await
}

/// Loads every key of `keys`, newest first, creating the first one when there is none. Two
/// instances starting together agree on one key: the creation runs under an advisory lock.
pub async fn load_or_create_in(pool: &Db, keys: Keys) -> StoreResult<Vec<SigningKey>> {
    let table = keys.table();
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(7419001)")
        .execute(&mut *tx)
        .await?;
    let mut found = load(&mut tx, table).await?;
    if found.is_empty() {
        let mut secret = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        let kid = format!("k{}", chrono::Utc::now().timestamp_millis());
        sqlx::query(&format!(
            "insert into {table} (kid, secret) values ($1, $2)"
        ))
        .bind(&kid)
        .bind(&secret)
        .execute(&mut *tx)
        .await?;
        found = vec![SigningKey { kid, secret }];
    }
    tx.commit().await?;
    Ok(found)
}

async fn load(conn: &mut sqlx::PgConnection, table: &str) -> StoreResult<Vec<SigningKey>> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(&format!(
        "select kid, secret from {table} order by created_at desc, kid desc"
    ))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kid, secret)| SigningKey { kid, secret })
        .collect())
}
