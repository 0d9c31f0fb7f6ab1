//! Per-app rate limits: requests a second for each operation of each app, as the hosted service
//! has them, off unless the operator sets some.
//!
//! - **What is limited.** An operation is an OpenAPI `operationId`; both URL forms of it share one
//!   limit (`users_get` and `users_get_by_app_id` are one operation). A limit comes from, in
//!   order: the app's own limit for the operation, the app's own default (both in the database,
//!   set with `imserver app limits`), `rate_limits.operations.<operationId>`, then
//!   `rate_limits.default`. None of them set: no limit.
//! - **How.** Each limit is a GCRA bucket (a token bucket kept as one atomic "theoretical arrival
//!   time"), in memory: the check costs no database round trip. A full bucket lets
//!   `rate_limits.burst_secs` seconds' worth of requests through at once; after that they pass at
//!   the rate. Over it: 429 `reach_limit` at once, with `Retry-After`, and nothing is done.
//! - **Many instances.** Every instance refreshes a heartbeat row and the limits every
//!   `rate_limits.refresh_secs`, and enforces its share of each limit (the limit divided by the
//!   live instances), so an app's total over all instances stays at its limit when a load
//!   balancer spreads requests evenly. Limits changed in the database apply on every instance
//!   within one refresh.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The `[rate_limits]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// Requests a second for every operation of every app; unset: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<u32>,
    /// Requests a second per `operationId`, over `default`.
    pub operations: HashMap<String, u32>,
    /// Seconds' worth of requests a full bucket lets through at once.
    pub burst_secs: f64,
    /// How often each instance refreshes its heartbeat and the limits kept in the database.
    pub refresh_secs: f64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            default: None,
            operations: HashMap::new(),
            burst_secs: 1.0,
            refresh_secs: 2.0,
        }
    }
}

/// The operation name of an app's default limit, as kept in the database.
pub use im_store::rate_limits::APP_DEFAULT;

/// The operations the limits name: every `operationId` of the OpenAPI document, and the route
/// patterns they are served under.
pub struct Operations {
    names: Vec<String>,
    /// `METHOD path` with the tenant prefix removed and every `{parameter}` written `{}`.
    by_route: HashMap<String, u16>,
    /// Actix match patterns seen so far, resolved.
    seen: RwLock<HashMap<(actix_web::http::Method, String), Option<u16>>>,
}

/// A path with its tenant prefix removed and every `{parameter}` written `{}`, so that both URL
/// forms, and the document's parameter names and the router's, agree.
fn route_key(method: &str, path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("/{org_name}/{app_name}")
        .or_else(|| path.strip_prefix("/app-id/{app_id}"))?;
    let mut out = format!("{} ", method.to_ascii_uppercase());
    let mut depth = 0;
    for c in rest.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    Some(out)
}

impl Operations {
    pub fn from_document(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut names: Vec<String> = Vec::new();
        let mut by_route = HashMap::new();
        for (path, item) in &doc.paths.paths {
            let ops = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ];
            for (method, op) in ops {
                let (Some(op), Some(key)) = (op, route_key(method, path)) else {
                    continue;
                };
                let Some(id) = &op.operation_id else { continue };
                let name = id.strip_suffix("_by_app_id").unwrap_or(id).to_owned();
                let index = match names.iter().position(|n| *n == name) {
                    Some(i) => i,
                    None => {
                        names.push(name);
                        names.len() - 1
                    }
                };
                by_route.insert(key, index as u16);
            }
        }
        Self {
            names,
            by_route,
            seen: RwLock::new(HashMap::new()),
        }
    }

    /// Every operation name a limit may take.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn index(&self, name: &str) -> Option<u16> {
        self.names.iter().position(|n| n == name).map(|i| i as u16)
    }

    pub fn name(&self, index: u16) -> &str {
        self.names
            .get(usize::from(index))
            .map_or("", String::as_str)
    }

    /// The operation a request matched.
    pub fn of_request(&self, req: &actix_web::HttpRequest) -> Option<u16> {
        let pattern = req.match_pattern()?;
        let method = req.method();
        if let Ok(seen) = self.seen.read() {
            if let Some(op) = seen.get(&(method.clone(), pattern.clone())) {
                return *op;
            }
        }
        let op = route_key(method.as_str(), &pattern).and_then(|k| self.by_route.get(&k).copied());
        if let Ok(mut seen) = self.seen.write() {
            seen.insert((method.clone(), pattern), op);
        }
        op
    }
}

/// One limit's state: GCRA's theoretical arrival time, in nanoseconds since [`RateLimits`]
/// started, for a given emission interval and burst tolerance.
struct Bucket {
    tat: AtomicU64,
    interval_ns: u64,
    tolerance_ns: u64,
}

impl Bucket {
    /// `Ok` when a request may pass now (and counts it), else how long until one may.
    fn take(&self, now_ns: u64) -> Result<(), Duration> {
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let start = tat.max(now_ns);
            let ahead = start - now_ns;
            if ahead > self.tolerance_ns {
                return Err(Duration::from_nanos(ahead - self.tolerance_ns));
            }
            match self.tat.compare_exchange_weak(
                tat,
                start + self.interval_ns,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(current) => tat = current,
            }
        }
    }
}

/// Every app's limits and their buckets.
pub struct RateLimits {
    pub config: RateLimitConfig,
    pub operations: Operations,
    /// `rate_limits.operations` by operation index (unknown names are left out, with a warning).
    configured: Vec<Option<u32>>,
    /// Limits kept in the database, by app: operation index (`None` for the app's default) to
    /// requests a second.
    overrides: RwLock<HashMap<Uuid, HashMap<Option<u16>, u32>>>,
    /// Any limit at all: when none, a check returns at once.
    any: AtomicBool,
    /// Live instances sharing the limits (1 until the first heartbeat).
    instances: AtomicU32,
    buckets: RwLock<HashMap<(Uuid, u16), Arc<Bucket>>>,
    epoch: Instant,
}

impl RateLimits {
    pub fn new(config: RateLimitConfig, operations: Operations) -> Self {
        let mut configured = vec![None; operations.names().len()];
        for (name, n) in &config.operations {
            match operations.index(name) {
                Some(i) => configured[usize::from(i)] = Some((*n).max(1)),
                None => tracing::warn!(
                    operation = %name,
                    "rate_limits.operations names no operation of the API; ignored"
                ),
            }
        }
        let any = config.default.is_some() || configured.iter().any(Option::is_some);
        Self {
            config,
            operations,
            configured,
            overrides: RwLock::new(HashMap::new()),
            any: AtomicBool::new(any),
            instances: AtomicU32::new(1),
            buckets: RwLock::new(HashMap::new()),
            epoch: Instant::now(),
        }
    }

    /// The limit of `op` for `app`, over all instances.
    pub fn limit(&self, app: Uuid, op: u16) -> Option<u32> {
        if let Ok(overrides) = self.overrides.read() {
            if let Some(own) = overrides.get(&app) {
                if let Some(n) = own.get(&Some(op)).or_else(|| own.get(&None)) {
                    return Some(*n);
                }
            }
        }
        self.configured
            .get(usize::from(op))
            .copied()
            .flatten()
            .or(self.config.default)
            .map(|n| n.max(1))
    }

    /// Counts a request of `op` for `app`: `Err(seconds to wait)` when it is over this
    /// instance's share of the limit.
    pub fn check(&self, app: Uuid, op: u16) -> Result<(), u32> {
        if !self.any.load(Ordering::Relaxed) {
            return Ok(());
        }
        let Some(limit) = self.limit(app, op) else {
            return Ok(());
        };
        let share = f64::from(limit) / f64::from(self.instances.load(Ordering::Relaxed).max(1));
        let interval_ns = (1e9 / share).clamp(1.0, u64::MAX as f64 / 4.0) as u64;
        let tolerance_ns = (self.config.burst_secs.max(0.0) * 1e9 - interval_ns as f64)
            .clamp(0.0, u64::MAX as f64 / 4.0) as u64;
        let now_ns = self.epoch.elapsed().as_nanos() as u64;
        let bucket = self.bucket(app, op, interval_ns, tolerance_ns, now_ns);
        bucket
            .take(now_ns)
            .map_err(|wait| wait.as_secs_f64().ceil().clamp(1.0, 3600.0) as u32)
    }

    /// The bucket of `(app, op)` for this rate; a bucket made for another rate (the limit or the
    /// instance count changed) is replaced, keeping its debt.
    fn bucket(
        &self,
        app: Uuid,
        op: u16,
        interval_ns: u64,
        tolerance_ns: u64,
        now_ns: u64,
    ) -> Arc<Bucket> {
        if let Ok(b) = self.buckets.read() {
            if let Some(b) = b.get(&(app, op)) {
                if b.interval_ns == interval_ns && b.tolerance_ns == tolerance_ns {
                    return b.clone();
                }
            }
        }
        let mut buckets = match self.buckets.write() {
            Ok(b) => b,
            Err(p) => p.into_inner(),
        };
        let entry = buckets.entry((app, op)).or_insert_with(|| {
            Arc::new(Bucket {
                tat: AtomicU64::new(now_ns),
                interval_ns,
                tolerance_ns,
            })
        });
        if entry.interval_ns != interval_ns || entry.tolerance_ns != tolerance_ns {
            let tat = entry.tat.load(Ordering::Relaxed);
            *entry = Arc::new(Bucket {
                tat: AtomicU64::new(tat.min(now_ns + tolerance_ns)),
                interval_ns,
                tolerance_ns,
            });
        }
        entry.clone()
    }

    /// Takes the limits read from the database (operation names, [`APP_DEFAULT`] for an app's
    /// default) and the number of live instances.
    pub fn refresh(&self, limits: HashMap<Uuid, HashMap<String, u32>>, instances: u32) {
        let mut overrides: HashMap<Uuid, HashMap<Option<u16>, u32>> = HashMap::new();
        for (app, ops) in limits {
            let own = overrides.entry(app).or_default();
            for (name, n) in ops {
                let key = if name == APP_DEFAULT {
                    None
                } else {
                    match self.operations.index(&name) {
                        Some(i) => Some(i),
                        None => continue,
                    }
                };
                own.insert(key, n.max(1));
            }
        }
        let any = self.config.default.is_some()
            || self.configured.iter().any(Option::is_some)
            || !overrides.is_empty();
        if let Ok(mut o) = self.overrides.write() {
            *o = overrides;
        }
        self.instances.store(instances.max(1), Ordering::Relaxed);
        self.any.store(any, Ordering::Relaxed);
        // Buckets of limits that are gone would only hold memory.
        if !any {
            if let Ok(mut b) = self.buckets.write() {
                b.clear();
            }
        }
    }

    pub fn instances(&self) -> u32 {
        self.instances.load(Ordering::Relaxed)
    }
}

/// Every `refresh_secs`: the heartbeat of this instance and the limits in the database. Ends
/// when the pool closes, removing this instance's row.
pub fn spawn_refresher(state: actix_web::web::Data<crate::AppState>) {
    let every = Duration::from_secs_f64(state.limits.config.refresh_secs.clamp(0.1, 3600.0));
    let id = Uuid::new_v4();
    tokio::spawn(async move {
        let live = (every.as_secs_f64() * 3.0).max(2.0);
        let forget = (every.as_secs_f64() * 30.0).max(60.0);
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let pool = state.pools.base();
            if pool.is_closed() {
                return;
            }
            let read = async {
                let n = im_store::rate_limits::heartbeat(pool, id, live, forget).await?;
                let limits = im_store::rate_limits::all(pool).await?;
                Ok::<_, im_store::StoreError>((limits, n))
            };
            match read.await {
                Ok((limits, n)) => state.limits.refresh(limits, n),
                Err(e) => tracing::debug!(error = %e, "rate limit refresh failed; kept the last"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_url_forms_and_both_parameter_spellings_make_one_route() {
        assert_eq!(
            route_key("get", "/{org_name}/{app_name}/chatgroups/{group_id}/users"),
            route_key("GET", "/app-id/{app_id}/chatgroups/{room_id}/users")
        );
        assert_eq!(
            route_key("get", "/{org_name}/{app_name}/users/{username:[^/]+}").as_deref(),
            Some("GET /users/{}")
        );
        assert_eq!(route_key("get", "/health"), None);
    }

    #[test]
    fn a_bucket_lets_a_burst_through_then_the_rate() {
        let b = Bucket {
            tat: AtomicU64::new(0),
            interval_ns: 100_000_000, // 10 a second
            tolerance_ns: 900_000_000,
        };
        // A second's worth at once: 10.
        let passed = (0..20).filter(|_| b.take(0).is_ok()).count();
        assert_eq!(passed, 10);
        let wait = b.take(0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        // Then one each interval.
        assert!(b.take(100_000_000).is_ok());
        assert!(b.take(100_000_000).is_err());
        assert!(b.take(200_000_000).is_ok());
    }

    fn limits(config: RateLimitConfig) -> RateLimits {
        let ops = Operations::from_document(&crate::openapi::document());
        RateLimits::new(config, ops)
    }

    #[test]
    fn an_apps_own_limit_wins_over_its_default_then_the_settings() {
        let app = Uuid::new_v4();
        let other = Uuid::new_v4();
        let mut config = RateLimitConfig {
            default: Some(100),
            ..Default::default()
        };
        config.operations.insert("token".into(), 300);
        let l = limits(config);
        let token = l.operations.index("token").unwrap();
        let get = l.operations.index("users_get").unwrap();
        assert_eq!(l.limit(app, token), Some(300));
        assert_eq!(l.limit(app, get), Some(100));
        let mut own = HashMap::new();
        own.insert(APP_DEFAULT.to_owned(), 7);
        own.insert("users_get".to_owned(), 5);
        l.refresh(HashMap::from([(app, own)]), 1);
        assert_eq!(l.limit(app, get), Some(5));
        assert_eq!(l.limit(app, token), Some(7));
        assert_eq!(l.limit(other, get), Some(100));
    }

    #[test]
    fn with_no_limit_anywhere_every_request_passes() {
        let l = limits(RateLimitConfig::default());
        let op = l.operations.index("users_get").unwrap();
        assert!((0..10_000).all(|_| l.check(Uuid::nil(), op).is_ok()));
    }

    #[test]
    fn instances_share_a_limit() {
        let l = limits(RateLimitConfig {
            default: Some(10),
            ..Default::default()
        });
        let op = l.operations.index("users_get").unwrap();
        l.refresh(HashMap::new(), 2);
        let passed = (0..100)
            .filter(|_| l.check(Uuid::nil(), op).is_ok())
            .count();
        assert_eq!(passed, 5, "half a second's worth of 10 a second");
    }

    #[test]
    fn every_operation_of_the_document_has_a_name_and_both_forms_share_it() {
        let l = limits(RateLimitConfig::default());
        assert!(l.operations.names().len() > 60);
        assert!(l.operations.index("users_get").is_some());
        assert!(l.operations.index("users_get_by_app_id").is_none());
        assert!(l.operations.index("groups_members").is_some());
    }
}
