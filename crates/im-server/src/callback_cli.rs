//! `imserver callback …`: an app's callback rules and dead letters from the command line (the
//! same rules as the REST endpoints under `/callbacks`).

use crate::settings::Settings;
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use im_domain::callbacks as rules;
use im_store::callback_rules::{self as store, NewRule, Rule, RuleUpdate};
use im_store::Db;
use serde_json::json;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum CallbackCommand {
    /// Add a rule and print its id and secret (the secret is shown only now).
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        app: String,
        /// Where events are POSTed (http or https).
        #[arg(long)]
        url: String,
        /// 8–128 characters; generated when absent.
        #[arg(long)]
        secret: Option<String>,
        /// `group`, `chatroom` or both (comma-separated; default both).
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Operations to send (comma-separated: JOIN,LEAVE,…); default every operation.
        #[arg(long, value_delimiter = ',')]
        operations: Vec<String>,
        /// Add it disabled.
        #[arg(long)]
        disabled: bool,
        #[arg(long)]
        json: bool,
    },
    /// List the app's rules.
    List {
        #[arg(long)]
        org: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a rule, with what it still had to deliver and its dead letters.
    Remove(RuleRef),
    /// Enable a rule (this also lifts a pause).
    Enable(RuleRef),
    /// Disable a rule: no new events go to it; what it has waits until it is enabled again.
    Disable(RuleRef),
    /// List the app's dead letters (deliveries past the retry horizon).
    DeadLetters {
        #[arg(long)]
        org: String,
        #[arg(long)]
        app: String,
        /// At most this many (oldest first).
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Queue dead letters again (same callId): those of the ten minutes `--date yyyyMMddHHmm`
    /// (UTC), or `--all`.
    Replay {
        #[arg(long)]
        org: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        all: bool,
        /// Send them here instead of their rule's URL.
        #[arg(long)]
        target_url: Option<String>,
    },
}

#[derive(clap::Args)]
pub struct RuleRef {
    #[arg(long)]
    org: String,
    #[arg(long)]
    app: String,
    /// The rule's id.
    #[arg(long)]
    id: Uuid,
}

async fn app_id(db: &Db, org: &str, app: &str) -> anyhow::Result<Uuid> {
    Ok(im_store::apps::by_names(db, org, app)
        .await?
        .with_context(|| format!("no app {org}#{app}"))?
        .id)
}

fn view(r: &Rule, secret: Option<&str>) -> serde_json::Value {
    let mut v = json!({
        "id": r.id.to_string(), "url": r.url, "events": r.kinds, "enabled": r.enabled,
        "created": r.created_at.timestamp_millis(),
    });
    if let Some(ops) = &r.operations {
        v["operations"] = json!(ops);
    }
    if let Some(p) = r.paused_until.filter(|p| *p > Utc::now()) {
        v["paused_until"] = json!(p.timestamp_millis());
    }
    if let Some(s) = secret {
        v["secret"] = json!(s);
    }
    v
}

fn line(r: &Rule) -> String {
    let ops = r
        .operations
        .as_ref()
        .map_or("all operations".to_owned(), |o| o.join(","));
    let state = match r.paused_until.filter(|p| *p > Utc::now()) {
        Some(p) => format!("paused until {p}"),
        None if r.enabled => "enabled".to_owned(),
        None => "disabled".to_owned(),
    };
    format!(
        "{}  {}  {}  {}  {}",
        r.id,
        state,
        r.kinds.join(","),
        ops,
        r.url
    )
}

pub async fn run(settings: &Settings, db: &Db, command: CallbackCommand) -> anyhow::Result<()> {
    match command {
        CallbackCommand::Add {
            org,
            app,
            url,
            secret,
            events,
            operations,
            disabled,
            json,
        } => {
            let id = app_id(db, &org, &app).await?;
            let url = rules::check_url(&url)?;
            let secret = match secret {
                Some(s) => {
                    rules::check_secret(&s)?;
                    s
                }
                None => im_http::callbacks::new_secret(),
            };
            let kinds: Vec<String> = if events.is_empty() {
                vec!["group".into(), "chatroom".into()]
            } else {
                rules::parse_kinds(&events)?
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            };
            let ops: Vec<String> = rules::parse_operations(&operations)?
                .into_iter()
                .map(str::to_owned)
                .collect();
            let ops = (!ops.is_empty()).then_some(ops);
            let sealer = crate::sealer(settings, db.pool()).await?;
            let (sealed, kid) = sealer.seal(&secret);
            let max = settings.callbacks.max_rules_per_app;
            let new = NewRule {
                url: &url,
                secret_sealed: &sealed,
                secret_kid: &kid,
                kinds: &kinds,
                operations: ops.as_deref(),
                enabled: !disabled,
            };
            let Some(rule) = store::create(db, id, new, max).await? else {
                bail!("{org}#{app} has {max} callback rules already (callbacks.max_rules_per_app)");
            };
            if json {
                println!("{}", view(&rule, Some(&secret)));
            } else {
                println!(
                    "Added rule {} for {org}#{app}. Its secret is shown only now:",
                    rule.id
                );
                println!("  id:     {}", rule.id);
                println!("  secret: {secret}");
                println!("  {}", line(&rule));
            }
        }
        CallbackCommand::List { org, app, json } => {
            let id = app_id(db, &org, &app).await?;
            let found = store::list(db, id).await?;
            if json {
                let all: Vec<_> = found.iter().map(|r| view(r, None)).collect();
                println!("{}", json!(all));
            } else if found.is_empty() {
                println!("{org}#{app} has no callback rules");
            } else {
                for r in &found {
                    println!("{}", line(r));
                }
            }
        }
        CallbackCommand::Remove(r) => {
            let app = app_id(db, &r.org, &r.app).await?;
            if !store::remove(db, app, r.id).await? {
                bail!("no callback rule {} in {}#{}", r.id, r.org, r.app);
            }
            println!("removed rule {}", r.id);
        }
        CallbackCommand::Enable(r) => set_enabled(db, r, true).await?,
        CallbackCommand::Disable(r) => set_enabled(db, r, false).await?,
        CallbackCommand::DeadLetters {
            org,
            app,
            limit,
            json,
        } => {
            let id = app_id(db, &org, &app).await?;
            let found =
                im_store::deliveries::dead_letters(db, id, None, limit.clamp(1, 10_000)).await?;
            let rows: Vec<_> = found
                .iter()
                .map(|d| {
                    json!({
                        "rule_id": d.rule_id.to_string(),
                        "call_id": format!("{org}#{app}_{}", d.call_id),
                        "id": if d.room_id == 0 { String::new() } else { d.room_id.to_string() },
                        "type": d.room_kind.to_ascii_uppercase(), "operation": d.operation,
                        "timestamp": d.created_at.timestamp_millis(),
                        "dead_at": d.dead_at.timestamp_millis(), "attempts": d.attempts,
                        "last_error": d.last_error, "replays": d.replays,
                    })
                })
                .collect();
            if json {
                println!("{}", json!(rows));
            } else if rows.is_empty() {
                println!("{org}#{app} has no dead letters");
            } else {
                for d in &found {
                    println!(
                        "{}  {}  {} {}  {} tries  {}",
                        d.dead_at,
                        d.call_id,
                        d.operation,
                        d.room_id,
                        d.attempts,
                        d.last_error.as_deref().unwrap_or("")
                    );
                }
            }
        }
        CallbackCommand::Replay {
            org,
            app,
            date,
            all,
            target_url,
        } => {
            let id = app_id(db, &org, &app).await?;
            let span: (DateTime<Utc>, DateTime<Utc>) = match (date, all) {
                (Some(d), false) => {
                    let from = im_http::routes::callbacks::bucket_start(&d)
                        .map_err(|e| anyhow::anyhow!("{}", e.description))?;
                    (from, from + chrono::Duration::minutes(10))
                }
                (None, true) => (
                    DateTime::<Utc>::UNIX_EPOCH,
                    Utc::now() + chrono::Duration::days(1),
                ),
                _ => bail!("give --date yyyyMMddHHmm or --all"),
            };
            let target = target_url.map(|u| rules::check_url(&u)).transpose()?;
            let n = im_store::deliveries::replay(db, id, span, target.as_deref()).await?;
            println!("{n} dead letters queued again");
        }
    }
    Ok(())
}

async fn set_enabled(db: &Db, r: RuleRef, enabled: bool) -> anyhow::Result<()> {
    let app = app_id(db, &r.org, &r.app).await?;
    let up = RuleUpdate {
        enabled: Some(enabled),
        ..RuleUpdate::default()
    };
    let rule = store::update(db, app, r.id, &up)
        .await?
        .with_context(|| format!("no callback rule {} in {}#{}", r.id, r.org, r.app))?;
    println!("{}", line(&rule));
    Ok(())
}
