//! Running on a Citus cluster. When the database has the `citus` extension, [`distribute`] (run
//! by `imserver migrate` and at start, after the migrations) spreads every tenant table over the
//! workers by `app`, all co-located, so that every statement of a request (each names its app)
//! runs on one shard, and a multi-row write stays one single-shard transaction. The tables that
//! are not an app's (apps, keys, the instances' heartbeats) become reference tables: a copy on
//! every node. On plain PostgreSQL it does nothing.
//!
//! Cross-app work is multi-shard by nature: the callback worker's search for apps with due
//! deliveries, the backlog gauge, the start-up and periodic sweeps (callback leftovers, file
//! tombstones, orphaned objects), `/counts`-free statistics and the CLI's `app list`. Those run
//! through [`cross_app`], which lets them fan out even where sessions forbid it.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

/// The global tables: one copy on every node.
pub const REFERENCE_TABLES: &[&str] =
    &["apps", "signing_keys", "callback_keys", "server_instances"];

/// The tenant tables, distributed by `app` and co-located, each after the tables its foreign
/// keys point to.
pub const TENANT_TABLES: &[&str] = &[
    "users",
    "rooms",
    "room_members",
    "room_mutes",
    "room_whitelist",
    "room_blocks",
    "chatroom_super_admins",
    "user_room_counts",
    "app_room_counts",
    "group_files",
    "file_tombstones",
    "user_attributes",
    "user_mutes",
    "chatroom_attributes",
    "attribute_usage",
    "app_rate_limits",
    "callback_rules",
    "callback_deliveries",
    "callback_streams",
    "callback_dead_letters",
];

/// A pool like `pool` whose sessions plan each statement for its values. On Citus the
/// coordinator's plan of a statement is the choice of its shard, cheap to make each time, and a
/// statement that is not a single-shard lookup (a data-modifying CTE, an `insert … select`) has
/// no generic plan at all: the generic plans the pool's sessions ask for on plain PostgreSQL
/// (see [`crate::session_options`]) are not for a coordinator.
pub fn custom_plans(pool: &PgPool) -> PgPool {
    let opts = (*pool.connect_options())
        .clone()
        .options([("plan_cache_mode", "force_custom_plan")]);
    let o = pool.options();
    crate::pool_options(o.get_max_connections(), o.get_acquire_timeout()).connect_lazy_with(opts)
}

/// Whether the database is a Citus coordinator.
async fn enabled(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from pg_extension where extname = 'citus')")
        .fetch_one(conn)
        .await
}

/// Distributes what is not distributed yet (idempotent; a table with rows has them moved to the
/// workers), in one transaction. Citus takes a foreign key only between tables it already
/// manages, so the keys among these tables are dropped first and made again once all are
/// distributed. Answers how many tables it distributed, or `None` on plain PostgreSQL.
pub async fn distribute(conn: &mut PgConnection) -> Result<Option<usize>, sqlx::Error> {
    if !enabled(&mut *conn).await? {
        return Ok(None);
    }
    let done: Vec<String> =
        sqlx::query_scalar("select logicalrelid::regclass::text from pg_dist_partition")
            .fetch_all(&mut *conn)
            .await?;
    let all: Vec<&str> = REFERENCE_TABLES
        .iter()
        .chain(TENANT_TABLES)
        .copied()
        .collect();
    let todo: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| !done.iter().any(|d| d == t))
        .collect();
    if todo.is_empty() {
        return Ok(Some(0));
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    // One connection per node for the whole transaction: Citus then lets it create tables that
    // point to reference tables after it changed others.
    sqlx::query("set local citus.multi_shard_modify_mode = 'sequential'")
        .execute(&mut *tx)
        .await?;
    // (table, name, definition) of every foreign key of the tables to distribute.
    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "select conrelid::regclass::text, conname::text, pg_get_constraintdef(oid)
           from pg_constraint
          where contype = 'f' and conrelid::regclass::text = any($1)
          order by conrelid::regclass::text, conname",
    )
    .bind(&todo)
    .fetch_all(&mut *tx)
    .await?;
    for (table, name, _) in &keys {
        // Names come from the catalog, quoted.
        sqlx::query(&format!("alter table {table} drop constraint \"{name}\""))
            .execute(&mut *tx)
            .await?;
    }
    for table in REFERENCE_TABLES.iter().filter(|t| todo.contains(t)) {
        sqlx::query("select create_reference_table($1)")
            .bind(table)
            .execute(&mut *tx)
            .await?;
    }
    for table in TENANT_TABLES.iter().filter(|t| todo.contains(t)) {
        let with = if *table == TENANT_TABLES[0] {
            "default"
        } else {
            TENANT_TABLES[0]
        };
        sqlx::query("select create_distributed_table($1, 'app', colocate_with => $2)")
            .bind(table)
            .bind(with)
            .execute(&mut *tx)
            .await?;
    }
    for (table, name, def) in &keys {
        sqlx::query(&format!(
            "alter table {table} add constraint \"{name}\" {def}"
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(tables = todo.len(), "citus: tables distributed by app");
    Ok(Some(todo.len()))
}

/// A transaction for cross-app work: on Citus its statements may span shards even where the
/// sessions are set to refuse that (`citus.multi_task_query_log_level`, as the tests run), and
/// are planned for their values (a statement over several shards has no generic plan on Citus,
/// and the pool's sessions ask for generic plans); on plain PostgreSQL the first setting is an
/// unused placeholder and the second costs a plan per call of these few background statements.
pub async fn cross_app(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "select set_config('citus.multi_task_query_log_level', 'off', true),
                set_config('plan_cache_mode', 'force_custom_plan', true)",
    )
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}
