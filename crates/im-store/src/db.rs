//! The handle every store function runs on: a sqlx pool whose connections, once a statement is
//! done with them, wait on a free list of this handle instead of going back to the pool.
//!
//! sqlx's pool pings every connection it gets back (a Sync round trip, unconditionally in sqlx
//! 0.8) before another caller may have it. For a read of one statement that doubles the round
//! trips: measured on `GET /users/{u}`'s statement, the same stack did 30500 requests a second
//! with the ping and 48300 without, PostgreSQL spending 30 µs a request instead of 16. A
//! connection here goes back on the free list only after its statement ended well (PostgreSQL
//! said it is ready for the next one); after an error, or when the caller went away mid-statement,
//! it is dropped, and so goes back to the pool, which tests it as before.
//!
//! The pool still bounds the connections (a held one counts as in use). Whoever finds the free
//! list empty says so before it waits on the pool, and while anyone waits there a connection that
//! is done goes back to the pool instead, so that no one waits on the pool for a connection that
//! sits on the free list. Every connection of the pool must therefore be taken through the
//! handle: its `begin` and `acquire` take one as statements do (a transaction's connection goes
//! back to the pool when the transaction ends). A connection unused for a second goes back to the
//! pool too. When the pool closes, the held connections are let go, so that closing completes.

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::pool::{MaybePoolConnection, PoolConnection};
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, PgPool, Postgres, Transaction};
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A connection unused this long goes back to the pool.
const IDLE: Duration = Duration::from_secs(1);

type Held = Arc<Mutex<Free>>;

/// The free list, the most recently used last, each with when it was given back.
#[derive(Default, Debug)]
struct Free(Vec<(PoolConnection<Postgres>, Instant)>);

impl Drop for Free {
    /// A connection given back to sqlx's pool is tested by a task spawned on the current
    /// runtime. Where there is none (a worker thread's last handle dropped as the thread ends),
    /// the connections are detached from the pool and closed here instead.
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_err() {
            for (conn, _) in self.0.drain(..) {
                drop(conn.detach());
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    held: Held,
    /// Takers waiting on the pool.
    waiting: Arc<AtomicUsize>,
}

impl Db {
    /// A handle on `pool`, with a free list of its own. Handles made from one pool do not share
    /// their free lists: make one per pool and clone it.
    pub fn new(pool: PgPool) -> Db {
        let held: Held = Arc::default();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            // Weak: the task ends with the handle's last clone (its connections go back to the
            // pool with the free list), or when the pool closes (it lets them go then).
            //
            // Connections unused for a second go back to the pool, which tests them and may
            // close them when idle long enough. Their backends, idle, also report their
            // statistics then (which the statistics keeper and autovacuum go by): a backend
            // reports when it takes a command, no sooner than a second after its last report.
            let (pool, list) = (pool.clone(), Arc::downgrade(&held));
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(IDLE);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    let closed = tokio::select! {
                        _ = pool.close_event() => true,
                        _ = tick.tick() => false,
                    };
                    let Some(list) = list.upgrade() else { return };
                    if closed {
                        release(&list);
                        return;
                    }
                    let stale: Vec<_> = {
                        let mut free = list.lock().unwrap_or_else(|p| p.into_inner());
                        // The least recently used come first.
                        let n = free
                            .0
                            .iter()
                            .take_while(|(_, at)| at.elapsed() >= IDLE)
                            .count();
                        free.0.drain(..n).collect()
                    };
                    drop(stale);
                }
            });
        }
        Db {
            pool,
            held,
            waiting: Arc::default(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Connections waiting on the free list.
    pub fn held(&self) -> usize {
        self.held.lock().map(|h| h.0.len()).unwrap_or(0)
    }

    fn pop(&self) -> Option<PoolConnection<Postgres>> {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .pop()
            .map(|(conn, _)| conn)
    }

    /// A held connection, else one from the pool.
    pub async fn acquire(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        if let Some(conn) = self.pop() {
            return Ok(conn);
        }
        // Said before the free list is looked at again: a connection given back from now on
        // goes to the pool, where this taker waits.
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if let Some(conn) = self.pop() {
            return Ok(conn);
        }
        self.pool.acquire().await
    }

    /// A transaction on a connection taken as [`Db::acquire`] takes one. The connection goes back
    /// to the pool when the transaction ends.
    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let conn = self.acquire().await?;
        Transaction::begin(MaybePoolConnection::PoolConnection(conn), None).await
    }

    /// Puts `conn` on the free list, unless someone waits on the pool or the pool is closing:
    /// then it goes back to the pool.
    fn give_back(&self, conn: PoolConnection<Postgres>) {
        let mut list = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if self.pool.is_closed() || self.waiting.load(Ordering::SeqCst) > 0 {
            drop(list);
            drop(conn);
        } else {
            list.0.push((conn, Instant::now()));
        }
    }
}

/// Counts a taker waiting on the pool until it has its connection (or gave up).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Lets every held connection go back to its pool.
fn release(held: &Held) {
    let list = std::mem::take(&mut held.lock().unwrap_or_else(|p| p.into_inner()).0);
    drop(list);
}

impl From<PgPool> for Db {
    fn from(pool: PgPool) -> Db {
        Db::new(pool)
    }
}

impl Deref for Db {
    type Target = PgPool;
    fn deref(&self) -> &PgPool {
        &self.pool
    }
}

/// Runs `$op`, a statement on `$conn` (the connection, `&mut PgConnection`), on a connection of
/// the handle `$db`, and gives the connection back to the free list only when the statement
/// succeeded: the one rule every way of running a statement follows.
macro_rules! on_held {
    ($db:expr, |$conn:ident| $op:expr) => {{
        let db = $db.clone();
        async move {
            let mut held = db.acquire().await?;
            let $conn = &mut *held;
            let out = $op.await?;
            db.give_back(held);
            Ok::<_, sqlx::Error>(out)
        }
    }};
}

impl<'p> Executor<'p> for &'_ Db {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Postgres>,
    {
        // Collected before they are yielded, so that the connection is free again (or dropped)
        // as soon as the statement ends: every statement here is read whole anyway.
        let all = on_held!(self, |conn| conn.fetch_many(query).try_collect::<Vec<_>>());
        stream::once(all)
            .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Postgres>,
    {
        Box::pin(on_held!(self, |conn| conn.fetch_optional(query)))
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement<'q>, sqlx::Error>> {
        Box::pin(on_held!(self, |conn| conn.prepare_with(sql, parameters)))
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<Describe<Postgres>, sqlx::Error>> {
        Box::pin(on_held!(self, |conn| conn.describe(sql)))
    }
}
