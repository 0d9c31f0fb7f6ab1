//! The callback delivery worker: claims due streams of the outbox (`im_store::deliveries`),
//! POSTs each stream's first event to its rule's URL, signed, and records the outcome. Runs in
//! every instance that has `callbacks.deliver`; instances share the work through the claim's
//! `skip locked` and leases, so an event goes out once in normal operation, and again (same
//! callId) only when an instance died between sending it and recording it.
//!
//! Bounded: at most `callbacks.max_in_flight` deliveries at once in this instance and
//! `callbacks.per_rule_in_flight` of one rule; a receiver's answer is read up to
//! `callbacks.response_bytes`. A task that delivered a stream's event goes on with the stream's
//! next one (its lease renewed by the statement that records the delivery), up to [`CHAIN`] in a
//! row, so a busy room does not wait for a claim between its events.

use actix_web::web;
use im_domain::callbacks::{self, RetryPolicy};
use im_http::callbacks::{signature, CallbacksConfig};
use im_http::AppState;
use im_store::deliveries::{self, Claimed};
use rand::Rng;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

/// The body of one delivery, in the hosted service's key order.
#[derive(Serialize)]
#[allow(non_snake_case)]
struct Body<'a> {
    callId: &'a str,
    security: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a RawValue>,
    appkey: &'a str,
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    event: &'static str,
    operation: &'a str,
    operator: &'a str,
    timestamp: i64,
}

/// The JSON body and its callId for a delivery, signed with `secret`.
pub fn body(d: &Claimed, secret: &str) -> Result<(String, String), serde_json::Error> {
    let call_id = format!("{}_{}", d.appkey, d.call_id);
    let timestamp = d.created_at.timestamp_millis();
    let security = signature(&call_id, secret, timestamp);
    let payload = d.payload.clone().map(RawValue::from_string).transpose()?;
    let id = if d.room_id == 0 {
        String::new()
    } else {
        d.room_id.to_string()
    };
    let kind = d.room_kind.to_ascii_uppercase();
    let text = serde_json::to_string(&Body {
        callId: &call_id,
        security: &security,
        payload: payload.as_deref(),
        appkey: &d.appkey,
        id: &id,
        kind: &kind,
        event: "group_op_event",
        operation: &d.operation,
        operator: &d.operator,
        timestamp,
    })?;
    Ok((text, call_id))
}

/// Deliveries of one stream a task sends in a row before it gives its slot back to the claim.
const CHAIN: u32 = 256;

struct Worker {
    state: web::Data<AppState>,
    config: CallbacksConfig,
    client: reqwest::Client,
    slots: Arc<Semaphore>,
    per_rule: Mutex<HashMap<Uuid, usize>>,
    /// Told when a task gives its slot back.
    freed: Notify,
    policy: RetryPolicy,
    pauses: deliveries::PausePolicy,
}

/// Starts the worker (when `callbacks.deliver`), and its sweeps. Ends when the pool closes.
pub fn spawn(state: web::Data<AppState>) -> anyhow::Result<()> {
    let config = state.config.callbacks.clone();
    if !config.deliver {
        return Ok(());
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(config.timeout_ms.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(config.per_rule_in_flight.max(1))
        .build()?;
    let worker = Arc::new(Worker {
        slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        policy: RetryPolicy {
            base_ms: config.retry_base_ms.max(1),
            max_ms: config.retry_max_secs.saturating_mul(1000).max(1),
        },
        per_rule: Mutex::new(HashMap::new()),
        freed: Notify::new(),
        pauses: deliveries::PausePolicy {
            failures: callbacks::PAUSE_FAILURES,
            window_secs: callbacks::PAUSE_WINDOW_SECS,
            pause: {
                let unit = config.pause_secs as i64;
                Box::new(move |n| callbacks::pause_secs(n, unit))
            },
        },
        state,
        config,
        client,
    });
    tokio::spawn(worker.clone().run());
    tokio::spawn(worker.watch());
    Ok(())
}

/// Claims up to `max` due streams, app by app (each claim runs on its app's shard on Citus).
async fn claim(
    pool: &im_store::Db,
    (max, per_rule): (i64, i64),
    busy: &[(Uuid, i32)],
    lease: f64,
) -> Result<Vec<Claimed>, im_store::StoreError> {
    let mut claimed = Vec::new();
    for app in deliveries::due_apps(pool, max).await? {
        let room = max - claimed.len() as i64;
        if room <= 0 {
            break;
        }
        claimed.extend(deliveries::claim(pool, app, (room, per_rule), busy, lease).await?);
    }
    Ok(claimed)
}

impl Worker {
    async fn run(self: Arc<Self>) {
        let idle = Duration::from_millis(self.config.poll_ms.max(1));
        let lease = 2.0 * self.config.timeout_ms as f64 / 1000.0 + 5.0;
        loop {
            let pool = self.state.pools.base().clone();
            if pool.is_closed() {
                return;
            }
            let free = self.slots.available_permits();
            if free == 0 {
                // Wait for a slot to come back.
                let _ = tokio::time::timeout(idle * 10, self.freed.notified()).await;
                continue;
            }
            let per_rule = self.config.per_rule_in_flight.max(1) as i64;
            let busy = self.busy_rules();
            let claimed = match claim(&pool, (free as i64, per_rule), &busy, lease).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(error = %e, "callback claim failed");
                    tokio::time::sleep(idle * 5).await;
                    continue;
                }
            };
            let mut started = 0;
            for d in claimed {
                if !self.take_rule_slot(d.rule_id) {
                    let _ = deliveries::release(&pool, &d).await;
                    continue;
                }
                let Ok(permit) = self.slots.clone().try_acquire_owned() else {
                    self.give_rule_slot(d.rule_id);
                    let _ = deliveries::release(&pool, &d).await;
                    continue;
                };
                started += 1;
                let me = self.clone();
                tokio::spawn(async move {
                    let rule = d.rule_id;
                    let mut next = Some(d);
                    let mut n = 0;
                    while let Some(d) = next.take() {
                        n += 1;
                        next = me.deliver(&d, n < CHAIN, lease).await;
                    }
                    me.give_rule_slot(rule);
                    drop(permit);
                    me.freed.notify_one();
                });
            }
            if started == 0 {
                tokio::time::sleep(idle).await;
            }
        }
    }

    /// The rules this instance is delivering for, and how many deliveries of each.
    fn busy_rules(&self) -> Vec<(Uuid, i32)> {
        let m = self.per_rule.lock().unwrap_or_else(|p| p.into_inner());
        m.iter().map(|(r, n)| (*r, *n as i32)).collect()
    }

    fn take_rule_slot(&self, rule: Uuid) -> bool {
        let mut m = self.per_rule.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(rule).or_default();
        if *n >= self.config.per_rule_in_flight.max(1) {
            return false;
        }
        *n += 1;
        true
    }

    fn give_rule_slot(&self, rule: Uuid) {
        let mut m = self.per_rule.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&rule) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&rule);
            }
        }
    }

    /// Sends one delivery and records what came of it; answers the stream's next delivery, leased
    /// to this task, when it was delivered and `more`.
    async fn deliver(&self, d: &Claimed, more: bool, lease: f64) -> Option<Claimed> {
        let pool = self.state.pools.base().clone();
        let metrics = &self.state.metrics;
        let rule = d.rule_id.to_string();
        let outcome = self.send(d).await;
        let recorded = match &outcome {
            Ok(()) => {
                metrics
                    .callbacks
                    .with_label_values(&[&rule, "delivered"])
                    .inc();
                let lag = (chrono::Utc::now() - d.created_at)
                    .num_milliseconds()
                    .max(0);
                metrics.callback_lag.observe(lag as f64 / 1000.0);
                match deliveries::delivered(&pool, d, more, lease).await {
                    Ok(next) => return next,
                    Err(e) => Err(e),
                }
            }
            Err(why) => {
                let call = format!("{}_{}", d.appkey, d.call_id);
                let queued = (chrono::Utc::now() - d.enqueued_at).num_seconds();
                if queued >= self.config.horizon_secs as i64 {
                    tracing::warn!(rule = %rule, call_id = %call, error = %why,
                        "callback delivery past the retry horizon: moved to the dead letters");
                    metrics.callbacks.with_label_values(&[&rule, "dead"]).inc();
                    deliveries::dead(&pool, d, why).await
                } else {
                    let attempt = (d.attempts.max(0) as u32).saturating_add(1);
                    let jitter: f64 = rand::thread_rng().gen();
                    let wait = self.policy.delay_ms(attempt, jitter);
                    tracing::info!(rule = %rule, call_id = %call, error = %why, attempt,
                        retry_in_ms = wait, "callback delivery failed; retrying later");
                    metrics
                        .callbacks
                        .with_label_values(&[&rule, "retried"])
                        .inc();
                    match deliveries::failed(&pool, d, why, wait, &self.pauses).await {
                        Ok(Some(until)) => {
                            tracing::warn!(rule = %rule, paused_until = %until,
                                "callback rule paused: {} failures within {} s",
                                callbacks::PAUSE_FAILURES, callbacks::PAUSE_WINDOW_SECS);
                            Ok(())
                        }
                        Ok(None) => Ok(()),
                        Err(e) => Err(e),
                    }
                }
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the delivery is tried again (same callId).
            tracing::warn!(rule = %rule, error = %e, "recording a callback delivery failed");
        }
        None
    }

    /// POSTs the delivery: `Ok` when the receiver answered 200 within the timeout.
    async fn send(&self, d: &Claimed) -> Result<(), String> {
        let secret = self
            .state
            .sealer
            .open(&d.secret_sealed, &d.secret_kid)
            .map_err(|e| e.to_string())?;
        let (text, _) = body(d, &secret).map_err(|e| format!("bad payload: {e}"))?;
        let url = d.target_url.as_deref().unwrap_or(&d.url);
        let started = Instant::now();
        let mut resp = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(text)
            .send()
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        let status = resp.status();
        // Read a little of the answer (for the log), never more.
        let mut read = 0usize;
        let mut head = Vec::new();
        while read < self.config.response_bytes {
            let left = self
                .config
                .timeout_ms
                .saturating_sub(started.elapsed().as_millis() as u64);
            match tokio::time::timeout(Duration::from_millis(left.max(1)), resp.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    let take = chunk.len().min(self.config.response_bytes - read);
                    head.extend_from_slice(&chunk[..take]);
                    read += chunk.len();
                }
                _ => break,
            }
        }
        if status == reqwest::StatusCode::OK {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&head[..head.len().min(200)]).into_owned();
        Err(format!("answered {}: {text}", status.as_u16()))
    }

    /// Every 5 s: the backlog's gauges (and a warning when it is old); every minute: the sweep
    /// of rules removed and of expired dead letters.
    async fn watch(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n: u64 = 0;
        let mut warned: Option<Instant> = None;
        loop {
            tick.tick().await;
            let pool = self.state.pools.base().clone();
            if pool.is_closed() {
                return;
            }
            if let Ok((age, pending)) = deliveries::backlog(&pool).await {
                let g = &self.state.metrics.callback_backlog;
                g.with_label_values(&["oldest_seconds"]).set(age);
                g.with_label_values(&["pending"]).set(pending as f64);
                let old = age > self.config.backlog_warn_secs as f64;
                if old && warned.is_none_or(|w| w.elapsed() > Duration::from_secs(300)) {
                    tracing::warn!(
                        oldest_seconds = age as u64,
                        pending,
                        "callback events wait undelivered for long: a receiver is down or slow \
                         (they go to the dead letters after callbacks.horizon_secs)"
                    );
                    warned = Some(Instant::now());
                }
            }
            n += 1;
            if n.is_multiple_of(12) {
                let keep = self.config.dead_letter_keep_secs as f64;
                match deliveries::sweep(&pool, keep).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "callback sweep"),
                    Err(e) => tracing::debug!(error = %e, "callback sweep failed"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn claimed(payload: Option<&str>, room_id: i64) -> Claimed {
        Claimed {
            app: Uuid::nil(),
            rule_id: Uuid::nil(),
            room_id,
            seq: 1,
            room_kind: "group".into(),
            call_id: Uuid::nil(),
            operation: "JOIN".into(),
            operator: "@ppAdmin".into(),
            payload: payload.map(str::to_owned),
            created_at: chrono::Utc.timestamp_millis_opt(1729497286675).unwrap(),
            enqueued_at: chrono::Utc::now(),
            attempts: 0,
            target_url: None,
            url: "http://x".into(),
            secret_sealed: Vec::new(),
            secret_kid: String::new(),
            appkey: "org#app".into(),
        }
    }

    #[test]
    fn the_body_has_the_pages_fields_in_their_order() {
        let d = claimed(
            Some(r#"{"member":["tst01"],"type":"DIRECT"}"#),
            262246968131585,
        );
        let (text, call_id) = body(&d, "sec").unwrap();
        assert_eq!(call_id, "org#app_00000000-0000-0000-0000-000000000000");
        let expected = format!(
            r#"{{"callId":"{call_id}","security":"{}","payload":{{"member":["tst01"],"type":"DIRECT"}},"appkey":"org#app","id":"262246968131585","type":"GROUP","event":"group_op_event","operation":"JOIN","operator":"@ppAdmin","timestamp":1729497286675}}"#,
            signature(&call_id, "sec", 1729497286675)
        );
        assert_eq!(text, expected);
        // No payload (DELETE), and an app-level event's empty id.
        let (text, _) = body(&claimed(None, 0), "sec").unwrap();
        assert!(!text.contains("payload"), "{text}");
        assert!(text.contains(r#""id":"""#), "{text}");
    }
}
