//! `imserver app limits`: an app's own rate limits, kept in the database and applied by every
//! instance within one `rate_limits.refresh_secs`.

use anyhow::{bail, Context};
use im_http::ratelimit::{Operations, RateLimitConfig, APP_DEFAULT};
use im_store::rate_limits::{self, AppLimits, Change};
use serde_json::json;
use std::collections::BTreeMap;

/// What the command was asked to change.
#[derive(Debug, Default)]
pub struct Asked {
    pub default: Option<u32>,
    /// `OPERATION_ID=N` pairs.
    pub set: Vec<String>,
    /// Operation ids, or `default`.
    pub unset: Vec<String>,
    pub clear: bool,
}

/// Reads the asked change against the API's operations; a name that is not an operation, or a
/// limit below 1, is an error naming it.
fn change_of(asked: &Asked, ops: &Operations) -> anyhow::Result<Change> {
    let name = |raw: &str| -> anyhow::Result<String> {
        let raw = raw.trim();
        let base = raw.strip_suffix("_by_app_id").unwrap_or(raw);
        if ops.index(base).is_none() {
            bail!("{raw:?} is not an operationId of the API (see /openapi.json)");
        }
        Ok(base.to_owned())
    };
    let positive = |what: &str, n: u32| -> anyhow::Result<u32> {
        if n == 0 {
            bail!("the limit of {what} must be at least 1 request a second (--unset removes one)");
        }
        Ok(n)
    };
    let mut change = Change {
        clear: asked.clear,
        ..Change::default()
    };
    for u in &asked.unset {
        change.unset.push(if u.trim() == "default" {
            APP_DEFAULT.to_owned()
        } else {
            name(u)?
        });
    }
    if let Some(n) = asked.default {
        change
            .set
            .push((APP_DEFAULT.to_owned(), positive("default", n)?));
    }
    for pair in &asked.set {
        let (op, n) = pair
            .split_once('=')
            .with_context(|| format!("--set takes OPERATION_ID=N, not {pair:?}"))?;
        let n: u32 = n
            .trim()
            .parse()
            .with_context(|| format!("{pair:?}: the limit is not a whole number"))?;
        let op = name(op)?;
        change.set.push((op.clone(), positive(&op, n)?));
    }
    Ok(change)
}

/// Applies what was asked (nothing: only reads) and renders the app's limits.
pub async fn run(
    db: &im_store::Db,
    settings: &RateLimitConfig,
    org: &str,
    app: &str,
    asked: &Asked,
    json_out: bool,
) -> anyhow::Result<String> {
    let ops = Operations::from_document(&im_http::openapi::document());
    let change = change_of(asked, &ops)?;
    let found = im_store::apps::by_names(db, org, app)
        .await?
        .with_context(|| format!("no app {org}#{app}"))?;
    let own = if change.clear || !change.unset.is_empty() || !change.set.is_empty() {
        rate_limits::change(db, found.id, &change).await?
    } else {
        rate_limits::of_app(db, found.id).await?
    };
    Ok(render(org, app, &own, settings, json_out))
}

fn render(
    org: &str,
    app: &str,
    own: &AppLimits,
    settings: &RateLimitConfig,
    json_out: bool,
) -> String {
    let own_default = own.get(APP_DEFAULT).copied();
    let own_ops: BTreeMap<&str, u32> = own
        .iter()
        .filter(|(k, _)| k.as_str() != APP_DEFAULT)
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    let set_ops: BTreeMap<&str, u32> = settings
        .operations
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    if json_out {
        return json!({
            "org": org,
            "app": app,
            "default": own_default,
            "operations": own_ops,
            "settings": {"default": settings.default, "operations": set_ops},
            "burst_secs": settings.burst_secs,
        })
        .to_string();
    }
    let per_second = |n: Option<u32>| n.map_or("none".to_owned(), |n| format!("{n}/s"));
    let mut out = format!(
        "Rate limits of {org}#{app} (requests a second over all instances; a burst of {} s is let through):\n",
        settings.burst_secs
    );
    out.push_str(&format!(
        "  app default:       {}\n",
        per_second(own_default)
    ));
    for (op, n) in &own_ops {
        out.push_str(&format!("  {op:<32} {n}/s\n"));
    }
    out.push_str(&format!(
        "From the settings (used where the app has none):\n  rate_limits.default: {}\n",
        per_second(settings.default)
    ));
    for (op, n) in &set_ops {
        out.push_str(&format!("  {op:<32} {n}/s\n"));
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_operation_ids_and_limits_positive() {
        let ops = Operations::from_document(&im_http::openapi::document());
        let asked = Asked {
            default: Some(50),
            set: vec!["users_get_by_app_id=7".into(), "token=300".into()],
            unset: vec!["default".into(), "groups_members".into()],
            clear: false,
        };
        let c = change_of(&asked, &ops).unwrap();
        assert_eq!(
            c.set,
            vec![
                (APP_DEFAULT.to_owned(), 50),
                ("users_get".to_owned(), 7),
                ("token".to_owned(), 300)
            ]
        );
        assert_eq!(
            c.unset,
            vec![APP_DEFAULT.to_owned(), "groups_members".into()]
        );
        for bad in ["nope=3", "users_get=0", "users_get=x", "users_get"] {
            let asked = Asked {
                set: vec![bad.into()],
                ..Asked::default()
            };
            assert!(change_of(&asked, &ops).is_err(), "{bad}");
        }
    }
}
