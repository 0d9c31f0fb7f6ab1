//! Startup of the `imserver` binary: configuration, database, signing keys, HTTP server.

pub mod callback_cli;
pub mod delivery;
pub mod embedded;
pub mod limits;
pub mod provision;
pub mod settings;
pub mod telemetry;

use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context;
use im_http::auth::TokenService;
use im_http::callbacks::Sealer;
use im_http::AppState;
use settings::Settings;
use sqlx::PgPool;
use std::net::TcpListener;
use std::time::Duration;

/// Creates the database of `url` when configured to, opens the pool and applies migrations.
pub async fn prepare_database(settings: &Settings, url: &str) -> anyhow::Result<PgPool> {
    let db = &settings.database;
    if db.create_if_missing {
        im_store::ensure_database(url).await.with_context(|| {
            format!(
                "could not reach PostgreSQL at {} to check the database",
                embedded::redact(url)
            )
        })?;
    }
    let pool = im_store::pool(
        url,
        db.max_connections,
        Duration::from_secs(db.acquire_timeout_secs),
    )
    .context("invalid database.url")?;
    let citus = im_store::migrate(&pool)
        .await
        .context("applying migrations failed")?;
    if !citus {
        return Ok(pool);
    }
    tracing::info!("database: a Citus coordinator; tables distributed by app");
    let planned = im_store::citus::custom_plans(&pool);
    pool.close().await;
    Ok(planned)
}

/// The token service: a configured secret, or the keys kept in the database.
pub async fn token_service(settings: &Settings, pool: &PgPool) -> anyhow::Result<TokenService> {
    let keys = match &settings.auth.jwt_secret {
        Some(secret) if !secret.is_empty() => {
            vec![("config".to_owned(), secret.as_bytes().to_vec())]
        }
        _ => im_store::keys::load_or_create(&im_store::Db::new(pool.clone()))
            .await?
            .into_iter()
            .map(|k| (k.kid, k.secret))
            .collect(),
    };
    Ok(TokenService::new(keys))
}

/// The sealer of callback secrets: the configured key (which then seals) and the keys kept in
/// the database (created on first use), so that secrets sealed under either still open.
pub async fn sealer(settings: &Settings, pool: &PgPool) -> anyhow::Result<Sealer> {
    let mut keys = Vec::new();
    if let Some(k) = Sealer::configured_key(&settings.callbacks)? {
        keys.push(("config".to_owned(), k));
    }
    let stored = im_store::keys::load_or_create_in(
        &im_store::Db::new(pool.clone()),
        im_store::keys::Keys::Callback,
    )
    .await?;
    keys.extend(stored.into_iter().map(|k| (k.kid, k.secret)));
    Ok(Sealer::new(keys)?)
}

/// A running server and the port it listens on.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Binds `server.bind:server.port` (port 0 picks a free one) and starts serving.
    pub async fn build(settings: &Settings, pool: PgPool) -> anyhow::Result<Self> {
        Self::build_on(settings, pool, "the given pool").await
    }

    /// The same, saying in `/ready` which database is in use.
    pub async fn build_on(
        settings: &Settings,
        pool: PgPool,
        database: &str,
    ) -> anyhow::Result<Self> {
        let tokens = token_service(settings, &pool).await?;
        let sealer = sealer(settings, &pool).await?;
        let mut config = settings.http();
        config.database = database.to_owned();
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let state = web::Data::new(
            AppState::new(pool, workers, (tokens, sealer), config)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
        let addr = format!("{}:{}", settings.server.bind, settings.server.port);
        let listener =
            TcpListener::bind(&addr).with_context(|| format!("cannot listen on {addr}"))?;
        let port = listener.local_addr()?.port();
        let server = im_http::serve(listener, state.clone(), workers)?;
        spawn_file_sweeper(state.clone(), settings.files.sweep_grace_secs);
        delivery::spawn(state.clone())?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// On start, removes the objects of shared files whose rows are gone (or never came); then, every
/// minute, those of rows deleted since (normally removed at once by the deleting request).
fn spawn_file_sweeper(state: web::Data<AppState>, grace_secs: u64) {
    tokio::spawn(async move {
        match im_store::files::sweep(&state.pool(), &state.objects, grace_secs).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "start-up sweep removed orphaned file objects"),
            Err(e) => tracing::warn!(error = %e, "start-up sweep of file objects failed"),
        }
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if state.pools.base().is_closed() {
                return;
            }
            if let Err(e) = im_store::files::reap(&state.pool(), &state.objects, None).await {
                tracing::warn!(error = %e, "removing deleted files' objects failed");
            }
        }
    });
}

/// Keeps planner statistics fresh when autovacuum is off: every `interval`, analyzes the tables
/// that changed a lot. Runs until the process ends.
pub fn spawn_statistics_keeper(pool: im_store::Db, interval: Duration) {
    if interval.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match im_store::refresh_statistics(&pool).await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(tables = ?done, "statistics refreshed")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "statistics refresh failed"),
            }
        }
    });
}

/// Creates a demo app when there is no app at all, so that a fresh install can be tried at
/// once. Returns its credentials (shown once) when it was created.
pub async fn ensure_demo_app(
    pool: &PgPool,
    state: &AppState,
) -> anyhow::Result<Option<provision::Credentials>> {
    if im_store::apps::count(state.pools.base()).await? > 0 {
        return Ok(None);
    }
    provision::create_app(pool, &state.hasher, "demo", "demo").await
}
