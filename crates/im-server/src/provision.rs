//! Creating apps and their credentials.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use im_http::auth::Hasher;
use im_store::apps::{App, NewApp};
use rand::RngCore;
use serde::Serialize;
use sqlx::PgPool;

/// What an operator needs to use an app; the secret is shown only here.
#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    pub org: String,
    pub app: String,
    pub app_id: String,
    pub client_id: String,
    pub client_secret: String,
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    format!("YXA6{}", URL_SAFE_NO_PAD.encode(buf))
}

/// The org and app name rules: 1–64 of `[a-zA-Z0-9_-]`.
pub fn check_name(what: &str, name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    anyhow::ensure!(
        ok,
        "{what} name {name:?} must be 1-64 characters of letters, digits, '_' or '-'"
    );
    anyhow::ensure!(name != "app-id", "{what} name 'app-id' is reserved");
    Ok(())
}

/// Creates an app; `None` when `org#app` exists already.
pub async fn create_app(
    pool: &PgPool,
    hasher: &Hasher,
    org: &str,
    app: &str,
) -> anyhow::Result<Option<Credentials>> {
    check_name("org", org)?;
    check_name("app", app)?;
    let client_id = random_token(16);
    let client_secret = random_token(20);
    let hash = hasher.hash(client_secret.clone()).await?;
    let created = im_store::apps::create(
        &im_store::Db::new(pool.clone()),
        NewApp {
            org_name: org,
            app_name: app,
            client_id: &client_id,
            client_secret_hash: &hash,
        },
    )
    .await?;
    Ok(created.map(|a| credentials(a, client_secret)))
}

/// Gives an app a new client secret; the old one stops working at once.
pub async fn rotate_secret(
    pool: &PgPool,
    hasher: &Hasher,
    org: &str,
    app: &str,
) -> anyhow::Result<Option<Credentials>> {
    let client_secret = random_token(20);
    let hash = hasher.hash(client_secret.clone()).await?;
    let updated =
        im_store::apps::set_secret(&im_store::Db::new(pool.clone()), org, app, &hash).await?;
    Ok(updated.map(|a| credentials(a, client_secret)))
}

fn credentials(a: App, client_secret: String) -> Credentials {
    Credentials {
        org: a.org_name,
        app: a.app_name,
        app_id: a.app_id,
        client_id: a.client_id,
        client_secret,
    }
}
