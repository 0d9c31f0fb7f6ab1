//! Each app's total of attribute bytes, per kind (chatroom custom attributes, user attributes),
//! and the writes that grow it past its cap refused, strictly, under any concurrency.
//!
//! The totals live in `attribute_usage`: 16 shard rows per app and kind, which triggers on the
//! attribute tables keep up to date on every path (see the migration
//! `20261130000008_attribute_usage.sql`). A transaction adds its changes to one shard (chosen
//! from its transaction id) and keeps that row locked until it ends, so at most one transaction
//! per shard has a change the others cannot see yet.
//!
//! A write that grows a total first takes the app's guard for that kind, a transaction advisory
//! lock:
//! * far from the cap, shared ([`Mode::Shared`]): it writes, then reads the total it can see
//!   (everything committed plus its own change) and commits only if that total plus
//!   `SHARDS - 1` times the largest growth one write can make stays within the cap. The
//!   writers it cannot see each hold another shard, so there are at most `SHARDS - 1` of them:
//!   whatever they commit, the cap holds. If the check fails, the transaction is rolled back
//!   and the write starts again exclusively;
//! * near the cap, exclusive ([`Mode::Exclusive`]): the lock waits for every shared holder to
//!   end and keeps new growing writers out until it commits, so the total it reads is exact (an
//!   uncommitted delete can only make it smaller) and it writes only what fits.
//!
//! Deletes and writes that shrink a total take no guard and are never refused.

use crate::error::StoreResult;
use sqlx::PgConnection;
use uuid::Uuid;

/// Counter rows per app and kind.
pub const SHARDS: i64 = 16;

/// Which total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chatroom,
    User,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Chatroom => "chatroom",
            Kind::User => "user",
        }
    }
}

/// How a growing write holds the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Shared,
    Exclusive,
}

/// The first advisory lock key of every guard (the second is derived from app and kind), apart
/// from the project's other advisory locks, which use the one-key form.
const GUARD_CLASS: i32 = 0x1a77_0001;

/// The bytes of `kind` the app uses, as this transaction sees them.
pub async fn total(conn: &mut PgConnection, app: Uuid, kind: Kind) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(bytes), 0)::bigint from attribute_usage where app = $1 and kind = $2",
    )
    .bind(app)
    .bind(kind.as_str())
    .fetch_one(&mut *conn)
    .await?)
}

/// Whether a writer that sees `total` (its own change included) may commit while holding the
/// guard shared: the at most `SHARDS - 1` writers it cannot see add at most `max_growth` each.
pub fn far_from_cap(total: i64, max_growth: i64, cap: i64) -> bool {
    total.saturating_add(max_growth.saturating_mul(SHARDS - 1)) <= cap
}

/// The mode a growing write starts in: shared when the total (before its change) is so far
/// from the cap that it will most likely pass the shared check, exclusive otherwise.
pub async fn choose_mode(
    conn: &mut PgConnection,
    app: Uuid,
    kind: Kind,
    growth: i64,
    max_growth: i64,
    cap: i64,
) -> StoreResult<Mode> {
    let used = total(conn, app, kind).await?;
    Ok(
        if far_from_cap(used.saturating_add(growth), max_growth, cap) {
            Mode::Shared
        } else {
            Mode::Exclusive
        },
    )
}

/// Takes the app's guard of `kind` in `mode` until the transaction ends. Every growing write
/// takes it before it writes, so the lock order is always the guard, then a shard.
pub async fn guard(conn: &mut PgConnection, app: Uuid, kind: Kind, mode: Mode) -> StoreResult<()> {
    let sql = match mode {
        Mode::Shared => "select pg_advisory_xact_lock_shared($1, hashtext($2::text || $3))",
        Mode::Exclusive => "select pg_advisory_xact_lock($1, hashtext($2::text || $3))",
    };
    sqlx::query(sql)
        .bind(GUARD_CLASS)
        .bind(app)
        .bind(kind.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
