//! Prometheus metrics: requests by route and status, latency histograms, database pool use.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    pub pool: IntGaugeVec,
    pub member_changes: IntGaugeVec,
    /// Requests refused by an app's rate limit.
    pub rate_limited: IntCounterVec,
    /// Callback deliveries by rule and outcome (`delivered`, `retried`, `dead`).
    pub callbacks: IntCounterVec,
    /// Deliveries written to the outbox by this process, per rule.
    pub callbacks_written: IntGaugeVec,
    /// From a change's commit to its delivery.
    pub callback_lag: prometheus::Histogram,
    /// The oldest undelivered event's age, and how many wait (every instance's view of the
    /// shared outbox).
    pub callback_backlog: prometheus::GaugeVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["method", "route"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state"),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        let member_changes = IntGaugeVec::new(
            Opts::new(
                "room_member_changes",
                "Member adds and removals (`change`) asked for (`what=requests`) and the \
                 transactions that applied them (`what=transactions`): concurrent changes to \
                 one room share a transaction",
            ),
            &["change", "what"],
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limited_total",
                "Requests answered 429 reach_limit by the app's rate limit, by app (org#app) and \
                 operation (operationId)",
            ),
            &["app", "operation"],
        )?;
        registry.register(Box::new(rate_limited.clone()))?;
        let callbacks = IntCounterVec::new(
            Opts::new(
                "callback_deliveries_total",
                "Callback deliveries by rule and outcome: delivered (the receiver answered 200 in \
                 time), retried (it did not; tried again later), dead (past the retry horizon)",
            ),
            &["rule", "outcome"],
        )?;
        registry.register(Box::new(callbacks.clone()))?;
        let callbacks_written = IntGaugeVec::new(
            Opts::new(
                "callback_events_written_total",
                "Callback deliveries written to the outbox by this process, per rule",
            ),
            &["rule"],
        )?;
        registry.register(Box::new(callbacks_written.clone()))?;
        let callback_lag = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "callback_delivery_lag_seconds",
                "From the commit of a change to the delivery of its event",
            )
            .buckets(vec![
                0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
            ]),
        )?;
        registry.register(Box::new(callback_lag.clone()))?;
        let callback_backlog = prometheus::GaugeVec::new(
            Opts::new(
                "callback_backlog",
                "The callback outbox: `oldest_seconds` (age of the oldest undelivered event) and \
                 `pending` (deliveries waiting)",
            ),
            &["what"],
        )?;
        registry.register(Box::new(callback_backlog.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(member_changes.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            pool,
            member_changes,
            rate_limited,
            callbacks,
            callbacks_written,
            callback_lag,
            callback_backlog,
        })
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    pub fn render(
        &self,
        (size, idle, max): (u32, usize, u32),
        adds: &im_store::rooms::MemberAdds,
        removes: &im_store::rooms::MemberRemoves,
    ) -> String {
        for (what, (asked, transactions)) in [("add", adds.counts()), ("remove", removes.counts())]
        {
            self.member_changes
                .with_label_values(&[what, "requests"])
                .set(asked as i64);
            self.member_changes
                .with_label_values(&[what, "transactions"])
                .set(transactions as i64);
        }
        for (rule, n) in im_store::outbox::written() {
            self.callbacks_written
                .with_label_values(&[&rule.to_string()])
                .set(n as i64);
        }
        let (size, idle) = (i64::from(size), idle as i64);
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool.with_label_values(&["in_use"]).set(size - idle);
        self.pool.with_label_values(&["max"]).set(i64::from(max));
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        String::from_utf8_lossy(&buf).into_owned()
    }
}
