use crate::error::StoreResult;
use crate::Db;
use rand::RngCore;

/// A token signing key.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

/// Loads every signing key, newest first, creating the first one when there is none. Two
/// instances starting together agree on one key: the creation runs under an advisory lock.
pub async fn load_or_create(pool: &Db) -> StoreResult<Vec<SigningKey>> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(7419001)")
        .execute(&mut *tx)
        .await?;
    let mut keys = load(&mut tx).await?;
    if keys.is_empty() {
        let mut secret = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        let kid = format!("k{}", chrono::Utc::now().timestamp_millis());
        sqlx::query("insert into signing_keys (kid, secret) values ($1, $2)")
            .bind(&kid)
            .bind(&secret)
            .execute(&mut *tx)
            .await?;
        keys = vec![SigningKey { kid, secret }];
    }
    tx.commit().await?;
    Ok(keys)
}

async fn load(conn: &mut sqlx::PgConnection) -> StoreResult<Vec<SigningKey>> {
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("select kid, secret from signing_keys order by created_at desc, kid desc")
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(kid, secret)| SigningKey { kid, secret })
        .collect())
}
