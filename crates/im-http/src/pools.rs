//! Database connections kept on the thread that uses them.
//!
//! A connection's socket belongs to the I/O driver of the runtime that opened it. Shared by
//! every worker, a pool hands a connection opened on one thread to a request running on
//! another: each reply from PostgreSQL then wakes the owning thread first, which wakes the
//! worker, two context switches per round trip. Measured on `GET /users/{u}`, that cost the
//! server about 30 µs of CPU per request, and PostgreSQL about 25. So each HTTP worker gets a
//! pool of its own, opened on its thread and used only there; the pool the server was built
//! with (`base`) serves whatever runs off the workers: start-up, the database probe, sweeps.
//! Each pool is used through an [`im_store::Db`], which hands a connection done with its
//! statement straight to the worker's next statement (or keeps it on its free list), sparing the
//! ping sqlx's pool makes on every connection given back to it.

use im_store::Db;
use sqlx::PgPool;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

thread_local! {
    /// This thread's pool, and the [`Pools`] it belongs to (several servers may share a
    /// process, as in the tests).
    static WORKER: RefCell<Option<(u64, Db)>> = const { RefCell::new(None) };
}

pub struct Pools {
    id: u64,
    base: Db,
    /// Connections of each worker's pool: the base pool's size shared out over the workers.
    per_worker: u32,
    /// Every worker pool, for the pool metrics and to close them with the base pool.
    workers: Mutex<Vec<Db>>,
    /// Numbers the worker pools, whose connections say `imserver worker N` in
    /// `pg_stat_activity`.
    entered: AtomicU64,
}

impl Pools {
    pub fn new(base: PgPool, workers: usize) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let workers = u32::try_from(workers.max(1)).unwrap_or(u32::MAX);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            per_worker: base.options().get_max_connections() / workers,
            base: Db::new(base),
            workers: Mutex::new(Vec::new()),
            entered: AtomicU64::new(0),
        }
    }

    /// The pool for the current thread: its worker pool on an HTTP worker, else the base pool
    /// (also once the base pool is closed, so that everything then fails alike).
    pub fn get(&self) -> Db {
        if self.base.is_closed() {
            return self.base.clone();
        }
        WORKER.with(|w| match &*w.borrow() {
            Some((id, pool)) if *id == self.id => pool.clone(),
            _ => self.base.clone(),
        })
    }

    pub fn base(&self) -> &Db {
        &self.base
    }

    /// Gives the calling HTTP worker thread its own pool (once; later calls do nothing). Its
    /// connections open lazily, with the base pool's options, and close when the base pool
    /// closes. With fewer base connections than workers, the workers share the base pool.
    pub fn enter_worker(&self) {
        if self.per_worker == 0 || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let entered = WORKER.with(|w| matches!(&*w.borrow(), Some((id, _)) if *id == self.id));
        if entered {
            return;
        }
        let o = self.base.options();
        let n = self.entered.fetch_add(1, Ordering::Relaxed) + 1;
        let connect = (*self.base.connect_options())
            .clone()
            .application_name(&format!("imserver worker {n}"));
        let pool = im_store::pool_options(self.per_worker, o.get_acquire_timeout())
            .idle_timeout(o.get_idle_timeout())
            .max_lifetime(o.get_max_lifetime())
            .connect_lazy_with(connect);
        let (base, mine) = (self.base.clone(), pool.clone());
        tokio::spawn(async move {
            base.close_event().await;
            mine.close().await;
        });
        let db = Db::new(pool);
        if let Ok(mut all) = self.workers.lock() {
            all.push(db.clone());
        }
        WORKER.with(|w| *w.borrow_mut() = Some((self.id, db)));
    }

    /// (open connections, idle ones, the most there can be) over every pool. The most is that
    /// of the pools requests use: the workers' once they have them, else the base pool's. A
    /// connection on a free list is idle.
    pub fn sizes(&self) -> (u32, usize, u32) {
        let workers = self.workers.lock().map(|w| w.clone()).unwrap_or_default();
        let max = match workers.len() {
            0 => self.base.options().get_max_connections(),
            n => self.per_worker * n as u32,
        };
        workers.iter().fold(
            (
                self.base.size(),
                self.base.num_idle() + self.base.held(),
                max,
            ),
            |(size, idle, max), p| (size + p.size(), idle + p.num_idle() + p.held(), max),
        )
    }
}
