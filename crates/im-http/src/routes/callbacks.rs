//! Callback rules and dead letters (an imserver extension beside the hosted service's console):
//! `/callbacks/rules…` to manage where an app's events go, `/callbacks/storage…` for the
//! deliveries that did not succeed within the retry horizon (the legacy failure storage's shapes).

use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{segment, state, AppAdmin, Body, QueryParams};
use crate::lenient;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use im_domain::callbacks as rules;
use im_store::callback_rules::{self as store, NewRule, Rule, RuleUpdate};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, Type};
use utoipa::ToSchema;
use uuid::Uuid;

/// A rule's URL.
fn url_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(
            "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$",
        ))
        .max_length(Some(2048))
        .description(Some("An http or https URL"))
        .build()
}

fn names_schema(names: &[&str], what: &str) -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names.iter().copied())),
        )
        .description(Some(what))
        .build()
}

fn events_schema() -> Array {
    let mut a = names_schema(&["group", "chatroom"], "`group`, `chatroom` or both");
    a.min_items = Some(1);
    a
}

fn operations_schema() -> Array {
    names_schema(
        &rules::Operation::ALL.map(rules::Operation::as_str),
        "Operations to send; none (absent or `[]`): every operation",
    )
}

fn secret_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(8))
        .max_length(Some(128))
        .pattern(Some("^[ -~]*$"))
        .description(Some("8–128 characters; generated when absent"))
        .build()
}

/// A rule as the API shows it (never its secret, but in the answer that made it).
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// `group`, `chatroom` or both.
    pub events: Vec<String>,
    /// The operations sent (`JOIN`, `LEAVE`, …); absent: every operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub operations: Option<Vec<String>>,
    pub enabled: bool,
    /// Milliseconds since the epoch.
    pub created: i64,
    /// Paused after 90 failures within 30 s, until then (milliseconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub paused_until: Option<i64>,
    /// The secret events are signed with: only in the answer to the create.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, schema_with = secret_schema)]
    pub secret: Option<String>,
}

impl RuleView {
    fn of(r: Rule, secret: Option<String>) -> Self {
        let now = Utc::now();
        Self {
            id: r.id.to_string(),
            url: r.url,
            events: r.kinds,
            operations: r.operations,
            enabled: r.enabled,
            created: r.created_at.timestamp_millis(),
            paused_until: r
                .paused_until
                .filter(|p| *p > now)
                .map(|p| p.timestamp_millis()),
            secret,
        }
    }
}

/// `null` as `Some(Null)`, absent as `None`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn text_list(field: &str, v: Option<Value>) -> ApiResult<Option<Vec<String>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) if !s.contains('\0') => Ok(s),
                _ => Err(ApiError::invalid(format!(
                    "{field} must be a list of names"
                ))),
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(ApiError::invalid(format!(
            "{field} must be a list of names"
        ))),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRuleBody {
    /// The receiver: an http or https URL.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, schema_with = url_schema)]
    pub url: Option<String>,
    /// 8–128 characters; generated when absent (and shown once, in the answer).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false, schema_with = secret_schema)]
    pub secret: Option<String>,
    /// `group`, `chatroom` or both (default both).
    #[serde(default)]
    #[schema(nullable = false, schema_with = events_schema)]
    pub events: Option<Value>,
    /// Operations to send (`CREATE`, `DELETE`, `UPDATE`, `JOIN`, `LEAVE`, `ADMIN`,
    /// `ROOM_SUPER_ADMIN`, `WHITE`, `BLOCK`, `MUTE`, `SHARE_FILE`); absent or `[]`: every
    /// operation.
    #[serde(default)]
    #[schema(nullable = false, schema_with = operations_schema)]
    pub operations: Option<Value>,
    /// Default true.
    #[serde(default)]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleChangeBody {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false, schema_with = url_schema)]
    pub url: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, schema_with = events_schema)]
    pub events: Option<Value>,
    /// The operations to send; `[]` for every operation.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, schema_with = operations_schema)]
    pub operations: Option<Value>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
}

envelope_schema!(RulesEnvelope, entities = [], { pub data: Vec<RuleView>, });
envelope_schema!(RuleEnvelope, entities = [], { pub data: RuleView, });

fn rule_id(req: &HttpRequest) -> ApiResult<Uuid> {
    let raw = segment(req, "rule_id")?;
    raw.parse().map_err(|_| {
        ApiError::from(im_domain::DomainError::not_found(format!(
            "callback rule {raw} does not exist"
        )))
    })
}

fn no_rule(id: Uuid) -> ApiError {
    im_domain::DomainError::not_found(format!("callback rule {id} does not exist")).into()
}

fn kinds_of(v: Option<Value>) -> ApiResult<Option<Vec<String>>> {
    Ok(match text_list("events", v)? {
        None => None,
        Some(names) => Some(
            rules::parse_kinds(&names)?
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ),
    })
}

/// The operations named; none (absent, `null` or `[]`) means every operation.
fn operations_of(v: Option<Value>) -> ApiResult<Option<Vec<String>>> {
    let names = text_list("operations", v)?.unwrap_or_default();
    let ops = rules::parse_operations(&names)?;
    Ok((!ops.is_empty()).then(|| ops.into_iter().map(str::to_owned).collect()))
}

/// The app's callback rules.
#[utoipa::path(get, path = "/{org_name}/{app_name}/callbacks/rules", tag = "callbacks", operation_id = "callback_rules_list",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    responses(
        (status = 200, description = "`data`: the app's rules, oldest first (imserver extension)", body = RulesEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let found = store::list(&st.pool(), admin.tenant.id).await?;
    let data: Vec<RuleView> = found.into_iter().map(|r| RuleView::of(r, None)).collect();
    Ok(Envelope::new()
        .count(data.len())
        .data(data)
        .respond(&req, &admin.tenant))
}

/// Add a rule. Its secret (given, or generated) is in this answer only.
#[utoipa::path(post, path = "/{org_name}/{app_name}/callbacks/rules", tag = "callbacks", operation_id = "callback_rules_create",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = NewRuleBody,
    responses(
        (status = 200, description = "`data`: the rule with its `secret` (shown only now; imserver extension)", body = RuleEnvelope),
        (status = 400, description = "invalid_parameter: no or a bad url, a bad secret, unknown events or operations", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "exceed_limit: the app has `callbacks.max_rules_per_app` rules", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn create(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<NewRuleBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let url = rules::check_url(
        body.url
            .as_deref()
            .ok_or_else(|| ApiError::invalid("url must be provided"))?,
    )?;
    let secret = match body.secret {
        Some(s) => {
            rules::check_secret(&s)?;
            s
        }
        None => crate::callbacks::new_secret(),
    };
    let kinds = kinds_of(body.events)?.unwrap_or_else(|| vec!["group".into(), "chatroom".into()]);
    let operations = operations_of(body.operations)?;
    let (sealed, kid) = st.sealer.seal(&secret);
    let new = NewRule {
        url: &url,
        secret_sealed: &sealed,
        secret_kid: &kid,
        kinds: &kinds,
        operations: operations.as_deref(),
        enabled: body.enabled.unwrap_or(true),
    };
    let max = st.config.callbacks.max_rules_per_app;
    let rule = store::create(&st.pool(), admin.tenant.id, new, max)
        .await?
        .ok_or_else(|| {
            ApiError::from(im_domain::DomainError::ExceedLimit(format!(
                "an app has at most {max} callback rules"
            )))
        })?;
    Ok(Envelope::new()
        .data(RuleView::of(rule, Some(secret)))
        .respond(&req, &admin.tenant))
}

/// One rule.
#[utoipa::path(get, path = "/{org_name}/{app_name}/callbacks/rules/{rule_id}", tag = "callbacks", operation_id = "callback_rules_get",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("rule_id" = String, Path, description = "The rule's id")),
    responses(
        (status = 200, description = "`data`: the rule (imserver extension)", body = RuleEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found: no such rule; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn get(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = rule_id(&req)?;
    let rule = store::get(&st.pool(), admin.tenant.id, id)
        .await?
        .ok_or_else(|| no_rule(id))?;
    Ok(Envelope::new()
        .data(RuleView::of(rule, None))
        .respond(&req, &admin.tenant))
}

/// Change a rule: its URL, events, operations, or whether it is enabled (enabling lifts a
/// pause). Applies to the next change of data.
#[utoipa::path(put, path = "/{org_name}/{app_name}/callbacks/rules/{rule_id}", tag = "callbacks", operation_id = "callback_rules_update",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("rule_id" = String, Path, description = "The rule's id")),
    request_body = RuleChangeBody,
    responses(
        (status = 200, description = "`data`: the rule after the change (imserver extension)", body = RuleEnvelope),
        (status = 400, description = "invalid_parameter: a bad url, unknown events or operations", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found: no such rule; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn update(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<RuleChangeBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = rule_id(&req)?;
    let up = RuleUpdate {
        url: body.url.as_deref().map(rules::check_url).transpose()?,
        kinds: kinds_of(body.events)?,
        operations: match body.operations {
            None => None,
            Some(v) => Some(operations_of(Some(v))?),
        },
        enabled: body.enabled,
    };
    let rule = store::update(&st.pool(), admin.tenant.id, id, &up)
        .await?
        .ok_or_else(|| no_rule(id))?;
    Ok(Envelope::new()
        .data(RuleView::of(rule, None))
        .respond(&req, &admin.tenant))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDeleted {
    pub id: String,
    pub deleted: bool,
}
envelope_schema!(RuleDeletedEnvelope, entities = [], { pub data: RuleDeleted, });

/// Remove a rule, with the deliveries it still had and its dead letters.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/callbacks/rules/{rule_id}", tag = "callbacks", operation_id = "callback_rules_delete",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("rule_id" = String, Path, description = "The rule's id")),
    responses(
        (status = 200, description = "`data`: `{id, deleted: true}` (imserver extension)", body = RuleDeletedEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found: no such rule; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = rule_id(&req)?;
    if !store::remove(&st.pool(), admin.tenant.id, id).await? {
        return Err(no_rule(id));
    }
    Ok(Envelope::new()
        .data(RuleDeleted {
            id: id.to_string(),
            deleted: true,
        })
        .respond(&req, &admin.tenant))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StorageBucket {
    /// The ten minutes the deliveries died in, by their start: `yyyyMMddHHmm` (UTC).
    pub date: String,
    /// Dead letters in them.
    pub size: i64,
    /// Replays done so far (the most of any of them).
    pub retry: i32,
}
envelope_schema!(StorageEnvelope, entities = [], { pub data: Vec<StorageBucket>, });

const BUCKET_FORMAT: &str = "%Y%m%d%H%M";

/// The dead letters by the ten minutes they died in (the legacy failure storage's query).
#[utoipa::path(get, path = "/{org_name}/{app_name}/callbacks/storage/info", tag = "callbacks", operation_id = "callback_storage_info",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    responses(
        (status = 200, description = "`data`: `[{date, size, retry}]`, oldest first", body = StorageEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn storage_info(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let buckets = im_store::deliveries::dead_letter_buckets(&st.pool(), admin.tenant.id).await?;
    let data: Vec<StorageBucket> = buckets
        .into_iter()
        .map(|(at, size, retry)| StorageBucket {
            date: at.format(BUCKET_FORMAT).to_string(),
            size,
            retry,
        })
        .collect();
    Ok(Envelope::new()
        .action("get")
        .data(data)
        .respond(&req, &admin.tenant))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RetryBody {
    /// The ten minutes to replay, by their start: `yyyyMMddHHmm` (UTC), as `storage/info` lists.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(
        required = true,
        nullable = false,
        pattern = "^20[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])([01][0-9]|2[0-3])[0-5][0-9]$"
    )]
    pub date: Option<String>,
    /// Replays done so far (accepted, not needed).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    #[schema(nullable = false)]
    pub retry: Option<i64>,
    /// Send them here instead of their rule's URL.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        rename = "targetUrl"
    )]
    #[schema(nullable = false, schema_with = url_schema)]
    pub target_url: Option<String>,
}
envelope_schema!(RetryEnvelope, entities = [], {
    /// `success`.
    pub data: String,
    /// Dead letters queued again.
    pub count: usize,
});

/// Queue the dead letters of ten minutes again, to their rules' URLs or `targetUrl` (the legacy
/// failure storage's resend). They keep their callId.
#[utoipa::path(post, path = "/{org_name}/{app_name}/callbacks/storage/retry", tag = "callbacks", operation_id = "callback_storage_retry",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = RetryBody,
    responses(
        (status = 200, description = "`data`: `success`; `count`: dead letters queued again", body = RetryEnvelope),
        (status = 400, description = "invalid_parameter: no or a bad `date`, a bad `targetUrl`", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn storage_retry(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<RetryBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let raw = body
        .date
        .ok_or_else(|| ApiError::invalid("date must be provided"))?;
    let from = bucket_start(&raw)?;
    let target = body
        .target_url
        .filter(|u| !u.trim().is_empty())
        .map(|u| rules::check_url(&u))
        .transpose()?;
    let _ = body.retry;
    let to = from + chrono::Duration::minutes(10);
    let n =
        im_store::deliveries::replay(&st.pool(), admin.tenant.id, (from, to), target.as_deref())
            .await?;
    Ok(Envelope::new()
        .action("post")
        .data("success")
        .count(n.max(0) as usize)
        .respond(&req, &admin.tenant))
}

/// The start of ten minutes named `yyyyMMddHHmm` (UTC); any minute within them names them.
pub fn bucket_start(raw: &str) -> ApiResult<DateTime<Utc>> {
    let bad = || ApiError::invalid(format!("date [{raw}] must be yyyyMMddHHmm"));
    let t = NaiveDateTime::parse_from_str(raw.trim(), BUCKET_FORMAT).map_err(|_| bad())?;
    let t = Utc.from_utc_datetime(&t);
    let secs = t.timestamp() - t.timestamp().rem_euclid(600);
    DateTime::from_timestamp(secs, 0).ok_or_else(bad)
}

/// One dead letter as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterView {
    pub rule_id: String,
    /// `{org}#{app}_{uuid}`, as it was sent.
    pub call_id: String,
    /// The group or chatroom id (`""` for app-level events).
    pub id: String,
    /// `GROUP` or `CHATROOM`.
    #[serde(rename = "type")]
    pub kind: String,
    pub operation: String,
    /// When the change committed (ms).
    pub timestamp: i64,
    /// When it went to the dead letters (ms).
    pub dead_at: i64,
    pub attempts: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub last_error: Option<String>,
    pub replays: i32,
}
envelope_schema!(DeadLettersEnvelope, entities = [], {
    pub data: Vec<DeadLetterView>,
    /// The position after the last one, when more follow.
    #[schema(nullable = false)]
    pub cursor: Option<String>,
});

/// The dead letters one by one, oldest death first (`limit` 1–100, default 20, and `cursor`).
#[utoipa::path(get, path = "/{org_name}/{app_name}/callbacks/storage", tag = "callbacks", operation_id = "callback_storage_list",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("limit" = Option<i64>, Query, description = "1–100, default 20"),
           ("cursor" = Option<String>, Query, description = "The `cursor` of the previous page")),
    responses(
        (status = 200, description = "`data`: dead letters; `cursor` when more follow (imserver extension)", body = DeadLettersEnvelope),
        (status = 400, description = "invalid_parameter: a bad limit or cursor", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn storage_list(
    req: HttpRequest,
    admin: AppAdmin,
    q: QueryParams,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limit = q.int("limit", 20, 1, 100)?;
    let after = q
        .get("cursor")
        .map(|c| st.cursors.decode(c, 2))
        .transpose()?
        .map(|p| {
            DateTime::from_timestamp_micros(p[0])
                .map(|t| (t, p[1]))
                .ok_or_else(|| ApiError::invalid("cursor is not valid"))
        })
        .transpose()?;
    let mut rows =
        im_store::deliveries::dead_letters(&st.pool(), admin.tenant.id, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = rows
        .last()
        .filter(|_| more)
        .map(|d| st.cursors.encode(&[d.dead_at.timestamp_micros(), d.seq]));
    let appkey = format!("{}#{}", admin.tenant.org_name, admin.tenant.app_name);
    let data: Vec<DeadLetterView> = rows
        .into_iter()
        .map(|d| DeadLetterView {
            rule_id: d.rule_id.to_string(),
            call_id: format!("{appkey}_{}", d.call_id),
            id: if d.room_id == 0 {
                String::new()
            } else {
                d.room_id.to_string()
            },
            kind: d.room_kind.to_ascii_uppercase(),
            operation: d.operation,
            timestamp: d.created_at.timestamp_millis(),
            dead_at: d.dead_at.timestamp_millis(),
            attempts: d.attempts,
            last_error: d.last_error,
            replays: d.replays,
        })
        .collect();
    Ok(Envelope::new()
        .count(data.len())
        .data(data)
        .cursor(next)
        .respond(&req, &admin.tenant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_names_the_ten_minutes_it_falls_in() {
        let t = bucket_start("202109091447").unwrap();
        assert_eq!(t.format(BUCKET_FORMAT).to_string(), "202109091440");
        assert!(bucket_start("2021-09-09").is_err());
        assert!(bucket_start("202113091440").is_err());
    }
}
