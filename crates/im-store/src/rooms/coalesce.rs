//! Membership changes to one room, coalesced. A busy room serializes its writers on its row
//! lock, and each transaction holds that lock until its commit is flushed to disk, so one change
//! per transaction caps a room near the disk's flush rate. Here the adds (or removals) that
//! arrive for a room while one of its transactions runs wait in that room's queue, and the next
//! transaction applies all of them: one lock, one read of the facts, one write, one commit.
//! `im_domain::room::plan_add_batch` / `plan_remove_batch` decide each caller's change as if it
//! had run alone, in arrival order, and each caller gets its own answer.
//!
//! A room's queue is drained by one task at a time, spawned by the change that found no queue;
//! a caller only waits for its answer, so a caller that goes away leaves the others unharmed. If
//! a batch's transaction fails as a whole, each change in it is retried alone, so one change's
//! failure is never another's.

use super::*;
use crate::outbox;
use im_domain::callbacks::{self, Operation, Operator, RoomEvent};
use im_domain::room::{AddRequest, RemoveRequest};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// At most this many changes go into one transaction.
const MAX_BATCH: usize = 128;

/// A room: app, kind, id.
pub type Key = (Uuid, RoomKind, i64);

/// A kind of change that runs coalesced.
pub trait Change: Send + Sync + 'static {
    type Request: Clone + Send + 'static;
    type Answer: Send + 'static;
    /// Applies the requests in one transaction: each one's answer or refusal.
    fn apply(
        pool: &Db,
        key: Key,
        requests: &[Self::Request],
    ) -> impl Future<Output = StoreResult<Vec<Result<Self::Answer, DomainError>>>> + Send;
}

struct Job<C: Change> {
    request: C::Request,
    reply: oneshot::Sender<StoreResult<C::Answer>>,
}

type Queues<C> = Mutex<HashMap<Key, Vec<Job<C>>>>;

/// The rooms' queues of one kind of change. Clones share the queues.
pub struct Coalesced<C: Change> {
    queues: Arc<Queues<C>>,
    counts: Arc<Counts>,
}

impl<C: Change> Clone for Coalesced<C> {
    fn clone(&self) -> Self {
        Self {
            queues: self.queues.clone(),
            counts: self.counts.clone(),
        }
    }
}

/// How many changes were asked for, and in how many transactions they ran.
#[derive(Default)]
struct Counts {
    changes: AtomicU64,
    transactions: AtomicU64,
}

/// Adds of members, coalesced per room.
pub type MemberAdds = Coalesced<Adds>;
/// Removals of members, coalesced per room.
pub type MemberRemoves = Coalesced<Removes>;

impl<C: Change> Default for Coalesced<C> {
    fn default() -> Self {
        Self {
            queues: Arc::default(),
            counts: Arc::default(),
        }
    }
}

impl<C: Change> Coalesced<C> {
    /// Changes asked for so far, and the transactions that applied them.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.changes.load(Ordering::Relaxed),
            self.counts.transactions.load(Ordering::Relaxed),
        )
    }

    /// Queues `request`; the task that drains the room's queue applies it through `pool` (the
    /// pool of whoever started that task).
    async fn submit(&self, pool: &Db, key: Key, request: C::Request) -> StoreResult<C::Answer> {
        let (reply, answer) = oneshot::channel();
        // A room has a queue exactly while a task drains it.
        let first = {
            let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            let first = !queues.contains_key(&key);
            queues.entry(key).or_default().push(Job { request, reply });
            first
        };
        if first {
            tokio::spawn(self.clone().drain(pool.clone(), key));
        }
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?
    }

    async fn drain(self, pool: Db, key: Key) {
        // Should this task end before its queue is empty (a panic, a runtime shutting down),
        // the guard drops the queue: its callers get an error instead of waiting forever.
        let mut guard = DrainGuard {
            queues: &self.queues,
            key,
            done: false,
        };
        loop {
            let jobs: Vec<Job<C>> = {
                let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
                let Some(queue) = queues.get_mut(&key) else {
                    break;
                };
                if queue.is_empty() {
                    queues.remove(&key);
                    break;
                }
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            self.run(&pool, key, jobs).await;
        }
        guard.done = true;
    }

    async fn run(&self, pool: &Db, key: Key, jobs: Vec<Job<C>>) {
        let requests: Vec<C::Request> = jobs.iter().map(|j| j.request.clone()).collect();
        self.counts
            .changes
            .fetch_add(jobs.len() as u64, Ordering::Relaxed);
        self.counts.transactions.fetch_add(1, Ordering::Relaxed);
        match C::apply(pool, key, &requests).await {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = job.reply.send(answer.map_err(Into::into));
                }
            }
            Err(e) if jobs.len() == 1 => {
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.reply.send(Err(e));
                }
            }
            Err(_) => {
                for job in jobs {
                    self.counts.transactions.fetch_add(1, Ordering::Relaxed);
                    let alone = C::apply(pool, key, std::slice::from_ref(&job.request));
                    let answer = match alone.await {
                        Ok(mut one) => match one.pop() {
                            Some(answer) => answer.map_err(Into::into),
                            None => Err(sqlx::Error::Protocol("no answer".into()).into()),
                        },
                        Err(e) => Err(e),
                    };
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

impl MemberAdds {
    /// Adds one (`single`) or several users to a room; the plan that was applied.
    pub async fn add(
        &self,
        pool: &Db,
        (app, kind, id): (Uuid, RoomKind, RoomId),
        names: Vec<Username>,
        single: bool,
        limits: &Limits,
    ) -> StoreResult<AddPlan> {
        let request = AddRequest {
            names,
            single,
            per_user_limit: limits.per_user(kind),
        };
        self.submit(pool, (app, kind, id.get()), request).await
    }
}

impl MemberRemoves {
    /// Removes one (`single`) or several members of a room; per-user outcomes.
    pub async fn remove(
        &self,
        pool: &Db,
        (app, kind, id): (Uuid, RoomKind, RoomId),
        names: Vec<Username>,
        single: bool,
    ) -> StoreResult<Vec<Outcome>> {
        let request = RemoveRequest { names, single };
        self.submit(pool, (app, kind, id.get()), request).await
    }
}

struct DrainGuard<'a, C: Change> {
    queues: &'a Queues<C>,
    key: Key,
    done: bool,
}

impl<C: Change> Drop for DrainGuard<'_, C> {
    fn drop(&mut self) {
        if !self.done {
            let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            queues.remove(&self.key);
        }
    }
}

/// The distinct names the requests name, sorted (the lock order).
fn all_names<'a>(lists: impl Iterator<Item = &'a Vec<Username>>) -> Vec<Username> {
    let mut names: Vec<Username> = lists.flatten().cloned().collect();
    names.sort();
    names.dedup();
    names
}

/// Every request's answer, or what they are decided on.
type Prepared<T> = Result<(Room, Vec<UserFacts>), Vec<Result<T, DomainError>>>;

/// Locks the named users (when `users` says how), then the room, and reads the users' facts:
/// what a batch is planned on. A room that refuses the write (unknown, disabled) refuses every
/// request with the same error.
async fn prepare<T>(
    conn: &mut PgConnection,
    (app, kind, id): Key,
    names: &[Username],
    users: Option<UserLock>,
    requests: usize,
) -> StoreResult<Prepared<T>> {
    if let Some(mode) = users {
        lock_users(conn, app, &strings(names), mode).await?;
    }
    let room = match lock(conn, app, kind, RoomId::new(id)).await {
        Ok(room) => room,
        Err(StoreError::Domain(refusal)) => {
            return Ok(Err((0..requests).map(|_| Err(refusal.clone())).collect()));
        }
        Err(e) => return Err(e),
    };
    let facts = user_facts(conn, app, kind, id, names).await?;
    Ok(Ok((room, facts)))
}

/// Member adds.
pub struct Adds;

impl Change for Adds {
    type Request = AddRequest;
    type Answer = AddPlan;

    async fn apply(
        pool: &Db,
        key: Key,
        requests: &[AddRequest],
    ) -> StoreResult<Vec<Result<AddPlan, DomainError>>> {
        let (app, kind, id) = key;
        let names = all_names(requests.iter().map(|r| &r.names));
        let mut tx = pool.begin().await?;
        let n = requests.len();
        let (current, users) = match prepare(&mut tx, key, &names, Some(UserLock::Join), n).await? {
            Ok(prepared) => prepared,
            Err(refused) => return Ok(refused),
        };
        let plans = room::plan_add_batch(&facts(kind, &current), &users, requests);
        let added: Vec<Username> = plans
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .flat_map(|p| p.add.iter().cloned())
            .collect();
        insert_members(&mut tx, app, kind, id, &added).await?;
        // One JOIN a request, in arrival order, as if each had run alone.
        let events: Vec<RoomEvent> = plans
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .flat_map(|p| {
                RoomEvent::members(
                    kind,
                    id,
                    Operation::Join,
                    &Operator::App,
                    callbacks::JOIN_DIRECT,
                    &strings(&p.add),
                    None,
                )
            })
            .collect();
        outbox::record(&mut tx, app, &events).await?;
        tx.commit().await?;
        Ok(plans)
    }
}

/// Member removals.
pub struct Removes;

impl Change for Removes {
    type Request = RemoveRequest;
    type Answer = Vec<Outcome>;

    async fn apply(
        pool: &Db,
        key: Key,
        requests: &[RemoveRequest],
    ) -> StoreResult<Vec<Result<Vec<Outcome>, DomainError>>> {
        let (app, kind, id) = key;
        let names = all_names(requests.iter().map(|r| &r.names));
        let mut tx = pool.begin().await?;
        let (current, users) = match prepare(&mut tx, key, &names, None, requests.len()).await? {
            Ok(prepared) => prepared,
            Err(refused) => return Ok(refused),
        };
        let plans = room::plan_remove_batch(&facts(kind, &current), &users, requests);
        let removed: Vec<String> = plans
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .flat_map(|p| applied(p))
            .collect();
        delete_members(&mut tx, app, kind, id, &removed).await?;
        let events: Vec<RoomEvent> = plans
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .flat_map(|p| {
                RoomEvent::members(
                    kind,
                    id,
                    Operation::Leave,
                    &Operator::App,
                    callbacks::LEAVE_KICK,
                    &applied(p),
                    None,
                )
            })
            .collect();
        outbox::record(&mut tx, app, &events).await?;
        tx.commit().await?;
        Ok(plans)
    }
}
