//! The handle every store function runs on: a sqlx pool whose connections, once a statement is
//! done with them, go straight to the next statement of this handle instead of back to the pool.
//!
//! sqlx's pool pings every connection it gets back (a Sync round trip, unconditionally in sqlx
//! 0.8) before another caller may have it. For a read of one statement that doubles the round
//! trips: measured on `GET /users/{u}`'s statement, the same stack did 30500 requests a second
//! with the ping and 48300 without, PostgreSQL spending 30 µs a request instead of 16. A
//! connection here is handed on only after its statement ended well (PostgreSQL said it is ready
//! for the next one); after an error, or when the caller went away mid-statement, it is dropped,
//! and so goes back to the pool, which tests it as before.
//!
//! A connection that is done goes to the longest waiting taker of this handle, else on the free
//! list. A taker that finds the free list empty queues, and a task of the handle takes a
//! connection from the pool (opening one if the bound allows) and hands it on the same way: the
//! taker gets whichever comes first. Under load, when every connection is busy, a request thus
//! gets the next one that is done without the pool's ping in between. The pool still bounds the
//! connections (a held or handed one counts as in use). Every connection of the pool must
//! therefore be taken through the handle: its `begin` and `acquire` take one as statements do (a
//! transaction's connection goes back to the pool when the transaction ends). A connection unused
//! for a second goes back to the pool too. When the pool closes, the held connections are let
//! go, so that closing completes.

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::pool::{MaybePoolConnection, PoolConnection};
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, PgPool, Postgres, Transaction};
use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A connection unused this long goes back to the pool.
const IDLE: Duration = Duration::from_secs(1);

type Held = Arc<Mutex<Free>>;

type Taker = oneshot::Sender<Result<PoolConnection<Postgres>, sqlx::Error>>;

/// The free list, the most recently used last, each with when it was given back; and the takers
/// waiting for a connection, the longest waiting first. One of the two is always empty.
#[derive(Default, Debug)]
struct Free {
    list: Vec<(PoolConnection<Postgres>, Instant)>,
    takers: VecDeque<Taker>,
    /// Tasks taking a connection from the pool for the takers: at most one a taker.
    asking: usize,
}

impl Free {
    /// Hands `conn` to the longest waiting taker, else puts it on the free list.
    fn hand(&mut self, mut conn: PoolConnection<Postgres>) {
        while let Some(taker) = self.takers.pop_front() {
            match taker.send(Ok(conn)) {
                Ok(()) => return,
                // That taker went away, or has its connection already: the next one.
                Err(Ok(back)) => conn = back,
                // Only a connection was sent.
                Err(Err(_)) => return,
            }
        }
        self.list.push((conn, Instant::now()));
    }
}

impl Drop for Free {
    /// A connection given back to sqlx's pool is tested by a task spawned on the current
    /// runtime. Where there is none (a worker thread's last handle dropped as the thread ends),
    /// the connections are detached from the pool and closed here instead.
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_err() {
            for (conn, _) in self.list.drain(..) {
                drop(conn.detach());
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    held: Held,
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
                            .list
                            .iter()
                            .take_while(|(_, at)| at.elapsed() >= IDLE)
                            .count();
                        free.list.drain(..n).collect()
                    };
                    drop(stale);
                }
            });
        }
        Db { pool, held }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Connections waiting on the free list.
    pub fn held(&self) -> usize {
        self.free().list.len()
    }

    fn free(&self) -> MutexGuard<'_, Free> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A held connection, else the first one done with its statement or opened by the pool.
    pub async fn acquire(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        let handed = {
            let mut free = self.free();
            if let Some((conn, _)) = free.list.pop() {
                return Ok(conn);
            }
            let (tx, rx) = oneshot::channel();
            free.takers.retain(|t| !t.is_closed());
            free.takers.push_back(tx);
            if free.asking < free.takers.len() {
                free.asking += 1;
                self.ask_pool();
            }
            rx
        };
        match tokio::time::timeout(self.pool.options().get_acquire_timeout(), handed).await {
            Ok(Ok(conn)) => conn,
            // The handle went away with the pool.
            Ok(Err(_)) => Err(sqlx::Error::PoolClosed),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    /// A task that takes a connection from the pool (maybe opening one) and hands it on. It is
    /// not cancelled when a taker is served first: a connection being opened is not lost, and
    /// one the pool gets back (a transaction's) comes to the takers too. An error goes to the
    /// longest waiting taker; the task asks again while there are more takers than tasks.
    fn ask_pool(&self) {
        let db = self.clone();
        tokio::spawn(async move {
            loop {
                let got = db.pool.acquire().await;
                let mut free = db.free();
                free.takers.retain(|t| !t.is_closed());
                match got {
                    Ok(conn) => {
                        free.asking -= 1;
                        free.hand(conn);
                        return;
                    }
                    // Takers still wait (each gives up after its own timeout): ask again.
                    Err(sqlx::Error::PoolTimedOut) if !free.takers.is_empty() => continue,
                    Err(e) => {
                        if let Some(taker) = free.takers.pop_front() {
                            let _ = taker.send(Err(e));
                        }
                        if db.pool.is_closed() {
                            for taker in free.takers.drain(..) {
                                let _ = taker.send(Err(sqlx::Error::PoolClosed));
                            }
                        }
                        if free.asking > free.takers.len() {
                            free.asking -= 1;
                            return;
                        }
                    }
                }
            }
        });
    }

    /// A transaction on a connection taken as [`Db::acquire`] takes one. The connection goes back
    /// to the pool when the transaction ends.
    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let conn = self.acquire().await?;
        Transaction::begin(MaybePoolConnection::PoolConnection(conn), None).await
    }

    /// Hands `conn` on (see [`Free::hand`]); while the pool closes, it goes back to the pool.
    fn give_back(&self, conn: PoolConnection<Postgres>) {
        let mut free = self.free();
        if self.pool.is_closed() {
            drop(free);
            drop(conn);
        } else {
            free.hand(conn);
        }
    }
}

/// Lets every held connection go back to its pool.
fn release(held: &Held) {
    let list = std::mem::take(&mut held.lock().unwrap_or_else(|p| p.into_inner()).list);
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
