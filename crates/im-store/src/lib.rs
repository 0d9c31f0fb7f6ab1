//! PostgreSQL storage. One function per use case; every write that touches more than one row
//! runs in one transaction. Helpers that must compose take `&mut PgConnection`.

pub mod apps;
pub mod callback_rules;
pub mod citus;
pub mod counts;
pub mod db;
pub mod deliveries;
pub mod departures;
pub mod error;
pub mod files;
pub mod keys;
pub mod objects;
pub mod outbox;
pub mod rate_limits;
pub mod rooms;
pub mod user_attributes;
pub mod user_mutes;
pub mod users;

pub use db::Db;
pub use error::StoreError;

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

/// The schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Milliseconds since the Unix epoch, as the wire shows times.
pub fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// Keyset paging: the query fetched `limit + 1` rows; keep `limit` and say whether more follow.
pub(crate) fn split_page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    (rows, more)
}

/// Creates the database named in `url` if it does not exist yet.
pub async fn ensure_database(url: &str) -> Result<(), sqlx::Error> {
    if !Postgres::database_exists(url).await? {
        tracing::info!("database missing; creating it");
        Postgres::create_database(url).await?;
    }
    Ok(())
}

/// Opens a pool. Connections are made lazily so that a server can start (and answer
/// `/health`) while the database is still coming up. A connection is not pinged before each
/// use (that would cost every query one more round trip): one that died with its server fails
/// the query it carries, is dropped by the pool, and the next request gets a fresh one.
pub fn pool(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<PgPool, sqlx::Error> {
    let opts = session_options(PgConnectOptions::from_str(url)?.application_name("imserver"));
    Ok(pool_options(max_connections, acquire_timeout).connect_lazy_with(opts))
}

/// The options of every pool a [`Db`] runs on. Its connections are not tested before use (see
/// [`pool`]), and a long wait for one is not logged: the pool's waiters are the handle's tasks
/// that take connections for its takers, which wait on the pool as long as every connection is
/// busy and handed on directly (a taker itself gives up after `acquire_timeout`).
pub fn pool_options(max_connections: u32, acquire_timeout: Duration) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .acquire_slow_threshold(Duration::MAX)
        .test_before_acquire(false)
}

/// The session settings every connection of the server runs with: sequential scans off, and
/// each prepared statement planned once (its generic plan).
///
/// Each statement of this service is a lookup or a range on an index, and its plan must stay
/// right whatever the statistics say. A table analyzed while it was tiny (a fresh deployment,
/// a room filling faster than autovacuum analyzes) makes a sequential scan look cheapest, and
/// the generic plan a connection caches for a prepared statement (or a foreign-key check) then
/// keeps scanning the whole table after it has grown, once per name of a batch, until the next
/// analyze. With this setting the planner takes an index wherever one serves the statement, and
/// still scans a table that has none. (Which index: see the migration
/// `lookups_take_the_primary_key`.)
///
/// PostgreSQL plans a prepared statement afresh on each execution as long as its generic plan
/// looks dearer than the plans made for the values at hand. A statement whose `limit` or
/// `offset` is a parameter, or with branches for cases that one call never takes (a member page
/// by number), always looks dearer generic, so it is planned on every call: about as much work
/// as running it. The member page of a room of 50000 went at half its rate so. Every statement
/// here is written so that its generic plan is the one to run whatever the values (an index
/// range read in order, branches decided at run time), so each one is planned once per
/// connection. Both settings are sent at connection start-up: no extra round trip.
pub fn session_options(opts: PgConnectOptions) -> PgConnectOptions {
    opts.options([
        ("enable_seqscan", "off"),
        ("plan_cache_mode", "force_generic_plan"),
    ])
}

/// Applies every pending migration; on a Citus coordinator, then distributes the tables (see
/// [`citus`]). Answers whether the database is a Citus coordinator.
pub async fn migrate(pool: &PgPool) -> Result<bool, sqlx::migrate::MigrateError> {
    let mut conn = pool.acquire().await?;
    // Citus refuses triggers on distributed tables unless told they are wanted (ours fire on the
    // row's own shard; see `citus`); on plain PostgreSQL this is an unused placeholder.
    sqlx::query("set citus.enable_unsafe_triggers = on")
        .execute(&mut *conn)
        .await?;
    MIGRATOR.run(&mut *conn).await?;
    let distributed = citus::distribute(&mut conn).await?;
    sqlx::query("reset citus.enable_unsafe_triggers")
        .execute(&mut *conn)
        .await?;
    Ok(distributed.is_some())
}

/// The tables whose statistics steer the hot queries.
const ANALYZED_TABLES: &[&str] = &[
    "users",
    "rooms",
    "room_members",
    "room_mutes",
    "room_whitelist",
    "room_blocks",
    "user_room_counts",
    "group_files",
];

/// Refreshes planner statistics of the tables that changed a lot since their last analyze, when
/// autovacuum is off (with autovacuum on, it does this itself). Returns the tables analyzed.
pub async fn refresh_statistics(pool: &Db) -> Result<Vec<String>, sqlx::Error> {
    let autovacuum: String = sqlx::query_scalar("select current_setting('autovacuum')")
        .fetch_one(pool)
        .await?;
    if autovacuum == "on" {
        return Ok(Vec::new());
    }
    let stale: Vec<String> = sqlx::query_scalar(
        "select relname::text from pg_stat_user_tables
          where schemaname = current_schema() and relname = any($1)
            and n_mod_since_analyze > 500 + 0.05 * n_live_tup",
    )
    .bind(ANALYZED_TABLES)
    .fetch_all(pool)
    .await?;
    for table in &stale {
        // The name comes from the fixed list above, never from input.
        sqlx::query(&format!("analyze {table}"))
            .execute(pool)
            .await?;
    }
    Ok(stale)
}
