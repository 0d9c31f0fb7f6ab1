//! Secret hashing (argon2id) on a fixed set of worker threads.
//!
//! Every argon2 run needs `memory_kib` of working memory (19 MiB by default). Running each one on
//! a fresh allocation, with no bound on how many run at once, lets anyone who can reach `/token`
//! exhaust the host. Here a fixed number of workers each own one buffer, allocated on first use
//! and reused for every run; requests wait in a bounded queue, and when the queue is full the
//! caller is told at once ([`HashError::Busy`]) instead of waiting without end.

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// Argon2id cost settings and the bounds of the hashing pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashing worker threads; 0 means one per core. Each holds `memory_kib` once it has run.
    pub workers: usize,
    /// Hash or verify requests that may wait for a worker; past that, requests get 429.
    pub queue: usize,
}

impl Default for Argon2Config {
    fn default() -> Self {
        // OWASP's recommended argon2id settings.
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            workers: 0,
            queue: 256,
        }
    }
}

/// Why a hash or verify did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Every worker is busy and the queue is full: retry later.
    #[error("the hashing queue is full")]
    Busy,
    /// The pool is gone or argon2 refused its input (never for valid settings).
    #[error("hashing failed: {0}")]
    Failed(String),
}

enum Task {
    Hash(String),
    Verify { secret: String, hash: String },
}

enum Outcome {
    Hashed(String),
    Verified(bool),
}

struct Job {
    task: Task,
    reply: oneshot::Sender<Result<Outcome, HashError>>,
    /// Held until the job is done, so that the admission bound counts queued and running jobs.
    _permit: Option<OwnedSemaphorePermit>,
}

/// Hashes and verifies secrets on a bounded pool. Cloning shares the pool.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
    admission: Arc<Semaphore>,
    capacity: usize,
}

impl Hasher {
    pub fn new(cfg: Argon2Config) -> Result<Self, argon2::Error> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)?;
        let workers = match cfg.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let capacity = workers + cfg.queue;
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            let params = params.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(&rx, &params));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a hashing worker");
            }
        }
        Ok(Self {
            params,
            jobs: tx,
            admission: Arc::new(Semaphore::new(capacity)),
            capacity,
        })
    }

    /// Hashes synchronously on the calling thread; for the CLI.
    pub fn hash_now(&self, secret: &str) -> Result<String, HashError> {
        let mut memory = Vec::new();
        hash_with(&self.params, &mut memory, secret)
    }

    /// Hashes one secret into a PHC string.
    pub async fn hash(&self, secret: String) -> Result<String, HashError> {
        let mut out = self.hash_all(vec![secret]).await?;
        out.pop()
            .ok_or_else(|| HashError::Failed("no result".into()))
    }

    /// Hashes several secrets, spread over the workers. Admitted whole or not at all; a batch
    /// larger than the whole pool is admitted only when the pool is idle.
    pub async fn hash_all(&self, secrets: Vec<String>) -> Result<Vec<String>, HashError> {
        let tasks = secrets.into_iter().map(Task::Hash).collect();
        self.run(tasks)
            .await?
            .into_iter()
            .map(|o| match o {
                Outcome::Hashed(h) => Ok(h),
                Outcome::Verified(_) => Err(HashError::Failed("unexpected outcome".into())),
            })
            .collect()
    }

    /// Verifies `secret` against a PHC `hash`; an unparsable hash never matches.
    pub async fn verify(&self, secret: String, hash: String) -> Result<bool, HashError> {
        match self.run(vec![Task::Verify { secret, hash }]).await?.pop() {
            Some(Outcome::Verified(ok)) => Ok(ok),
            _ => Err(HashError::Failed("unexpected outcome".into())),
        }
    }

    async fn run(&self, tasks: Vec<Task>) -> Result<Vec<Outcome>, HashError> {
        let wanted = tasks.len().min(self.capacity);
        let mut permits = if wanted == 0 {
            None
        } else {
            let n = u32::try_from(wanted).map_err(|_| HashError::Busy)?;
            Some(
                self.admission
                    .clone()
                    .try_acquire_many_owned(n)
                    .map_err(|_| HashError::Busy)?,
            )
        };
        let mut replies = Vec::with_capacity(tasks.len());
        for task in tasks {
            let (reply, rx) = oneshot::channel();
            let permit = match permits.as_mut() {
                Some(p) if p.num_permits() > 1 => p.split(1),
                _ => permits.take(),
            };
            self.jobs
                .send(Job {
                    task,
                    reply,
                    _permit: permit,
                })
                .map_err(|_| HashError::Failed("the hashing pool has stopped".into()))?;
            replies.push(rx);
        }
        let mut out = Vec::with_capacity(replies.len());
        for rx in replies {
            out.push(
                rx.await
                    .map_err(|_| HashError::Failed("a hashing worker stopped".into()))??,
            );
        }
        Ok(out)
    }
}

/// One worker: takes jobs until the pool is dropped, reusing one buffer for every run.
fn worker(jobs: &Mutex<mpsc::Receiver<Job>>, params: &Params) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(Job {
            task,
            reply,
            _permit: permit,
        }) = job
        else {
            return;
        };
        let outcome = match task {
            Task::Hash(secret) => hash_with(params, &mut memory, &secret).map(Outcome::Hashed),
            Task::Verify { secret, hash } => {
                Ok(Outcome::Verified(verify_with(&mut memory, &secret, &hash)))
            }
        };
        // The place is free before the caller hears back, so that a caller who goes on to
        // hash again finds it free.
        drop(permit);
        // The caller may have gone away; its answer is then not needed.
        let _ = reply.send(outcome);
    }
}

/// Makes `memory` hold at least the blocks `params` needs, keeping it for the next run.
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let need = params.block_count();
    if memory.len() < need {
        memory.resize(need, Block::default());
    }
    &mut memory[..need]
}

fn hash_with(params: &Params, memory: &mut Vec<Block>, secret: &str) -> Result<String, HashError> {
    let failed = |e: &dyn std::fmt::Display| HashError::Failed(e.to_string());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes).map_err(|e| failed(&e))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(
                secret.as_bytes(),
                raw_salt,
                out,
                blocks(memory, params),
            )
            .map_err(argon2::password_hash::Error::from)
    })
    .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Verifies with the parameters recorded in the hash itself (they may predate today's settings).
fn verify_with(memory: &mut Vec<Block>, secret: &str, hash: &str) -> bool {
    let Ok(phc) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(phc.algorithm), Params::try_from(&phc))
    else {
        return false;
    };
    let version = match phc.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let computed = Output::init_with(expected.len(), |out| {
        argon
            .hash_password_into_with_memory(
                secret.as_bytes(),
                raw_salt,
                out,
                blocks(memory, &params),
            )
            .map_err(argon2::password_hash::Error::from)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok_and(|c| c == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    fn cheap(workers: usize, queue: usize) -> Argon2Config {
        Argon2Config {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            workers,
            queue,
        }
    }

    #[tokio::test]
    async fn hashes_verify_only_their_secret() {
        let h = Hasher::new(cheap(1, 4)).unwrap();
        let hash = h.hash("s3cret".into()).await.unwrap();
        assert!(!hash.contains("s3cret"));
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert!(h.verify("s3cret".into(), hash.clone()).await.unwrap());
        assert!(!h.verify("other".into(), hash).await.unwrap());
        assert!(!h.verify("x".into(), "not-a-hash".into()).await.unwrap());
    }

    #[tokio::test]
    async fn pool_hashes_interoperate_with_the_argon2_crate() {
        let h = Hasher::new(cheap(2, 4)).unwrap();
        let ours = h.hash("pw".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"pw", &parsed).is_ok());
        // A hash made elsewhere, with other costs, verifies here too.
        let theirs = h.hash_now("pw2").unwrap();
        assert!(h.verify("pw2".into(), theirs).await.unwrap());
    }

    #[tokio::test]
    async fn a_batch_hashes_every_secret_with_its_own_salt() {
        let h = Hasher::new(cheap(2, 8)).unwrap();
        let hashes = h
            .hash_all(vec!["a".into(), "a".into(), "b".into()])
            .await
            .unwrap();
        assert_eq!(hashes.len(), 3);
        assert_ne!(hashes[0], hashes[1]);
        assert!(h.verify("b".into(), hashes[2].clone()).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once_and_frees_up_after() {
        let mut cfg = cheap(1, 1);
        cfg.memory_kib = 8 * 1024;
        cfg.iterations = 4;
        let h = Hasher::new(cfg).unwrap();
        let tasks: Vec<_> = (0..8).map(|i| h.hash(format!("s{i}"))).collect();
        let results = futures_util::future::join_all(tasks).await;
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(HashError::Busy)))
            .count();
        let done = results.iter().filter(|r| r.is_ok()).count();
        assert!(busy >= 1 && done >= 1, "busy {busy}, done {done}");
        assert_eq!(busy + done, 8);
        // Once the pool is idle, a batch larger than the pool still runs.
        let all = h.hash_all((0..5).map(|i| format!("t{i}")).collect()).await;
        assert_eq!(all.unwrap().len(), 5);
    }
}
