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
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(member_changes.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            pool,
            member_changes,
            rate_limited,
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
