//! The room core's HTTP face, shared by chatrooms and groups: members, admins, moderation
//! (mutes, mute-all, blocks, whitelist) and the announcement. Each handler reads the [`Face`] of
//! the route scope it was reached through; `chatrooms` and `groups` add their own few handlers.

pub mod admins;
pub mod announcement;
pub mod members;
pub mod moderation;
mod wire;

pub use wire::*;

use crate::envelope::Envelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{segment, AppAdmin, QueryParams};
use actix_web::{HttpRequest, HttpResponse};
use im_domain::room::{self, Outcome, RoomId, RoomKind};
use im_domain::{DomainError, Username};
use serde_json::Value;

/// What differs between the faces of the room core on the wire: the kind, and how results name
/// the room. Set on each route scope (`/chatrooms`, `/chatgroups`) and read by the shared
/// handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Face {
    pub kind: RoomKind,
}

impl Face {
    pub const CHATROOM: Face = Face {
        kind: RoomKind::Chatroom,
    };
    pub const GROUP: Face = Face {
        kind: RoomKind::Group,
    };

    /// Most batch limits; the chatroom batch remove has its own.
    pub fn batch_remove(self, limits: &im_domain::Limits) -> usize {
        match self.kind {
            RoomKind::Chatroom => limits.chatroom_batch_remove,
            RoomKind::Group | RoomKind::Thread => limits.batch_add,
        }
    }

    /// Default and largest member page (both list forms).
    pub fn member_page(self) -> (i64, i64) {
        match self.kind {
            RoomKind::Chatroom => (1000, 1000),
            RoomKind::Group | RoomKind::Thread => (10, 100),
        }
    }

    /// The room id in results of one member (`id` for chatrooms, `groupid` for groups).
    pub fn member_ids(self, id: RoomId) -> RoomIds {
        match self.kind {
            RoomKind::Chatroom => RoomIds {
                id: Some(id.to_string()),
                ..RoomIds::default()
            },
            RoomKind::Group | RoomKind::Thread => RoomIds {
                groupid: Some(id.to_string()),
                ..RoomIds::default()
            },
        }
    }

    /// The room id in results of blocks and whitelist (`chatroomid` / `groupid`).
    pub fn list_ids(self, id: RoomId) -> RoomIds {
        match self.kind {
            RoomKind::Chatroom => RoomIds {
                chatroomid: Some(id.to_string()),
                ..RoomIds::default()
            },
            RoomKind::Group | RoomKind::Thread => RoomIds {
                groupid: Some(id.to_string()),
                ..RoomIds::default()
            },
        }
    }
}

/// How a result names its room: exactly one of these is set.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct RoomIds {
    /// The chatroom id (chatroom member add/remove).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub id: Option<String>,
    /// The chatroom id (chatroom blocks, whitelist).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub chatroomid: Option<String>,
    /// The group id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub groupid: Option<String>,
}

/// The face of the scope the request came through (chatrooms when none is set).
pub fn face(req: &HttpRequest) -> Face {
    req.app_data::<Face>().copied().unwrap_or(Face::CHATROOM)
}

pub(crate) fn no_entities() -> Vec<Value> {
    Vec::new()
}

/// The room id in the path; one that cannot exist is `grpID X does not exist!`.
pub(crate) fn room_id(req: &HttpRequest) -> ApiResult<RoomId> {
    let raw = segment(req, "room_id")?;
    RoomId::parse(&raw).ok_or_else(|| room::room_not_found(raw).into())
}

/// For detail and member-list reads: `do not find this group:X`.
pub(crate) fn listed_room_id(raw: &str) -> ApiResult<RoomId> {
    RoomId::parse(raw).ok_or_else(|| {
        DomainError::ServiceResourceNotFound(format!("do not find this group:{raw}")).into()
    })
}

/// Splits a comma list from a path segment (`a,b` or `a%2Cb`), trimmed, without empties or
/// repeats. Also says whether the segment held no comma at all.
pub(crate) fn comma_list(raw: &str) -> (Vec<String>, bool) {
    let raw = raw.replace("%2C", ",").replace("%2c", ",");
    let mut out: Vec<String> = Vec::new();
    for p in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == p) {
            out.push(p.to_owned());
        }
    }
    (out, !raw.contains(','))
}

/// The names in a path segment (see [`comma_list`]), at most `max`, and whether exactly one was
/// given without a comma.
pub(crate) fn path_names(
    req: &HttpRequest,
    name: &str,
    max: usize,
    too_many: &str,
) -> ApiResult<(Vec<Username>, bool)> {
    let (parts, single) = comma_list(&segment(req, name)?);
    if parts.len() > max {
        return Err(ApiError::invalid(format!("{too_many} : {max}")));
    }
    let mut names: Vec<Username> = Vec::with_capacity(parts.len());
    for p in &parts {
        let n = Username::parse(p).map_err(|_| ApiError::from(room::user_not_found(p)))?;
        if !names.contains(&n) {
            names.push(n);
        }
    }
    if names.is_empty() {
        return Err(ApiError::invalid("usernames must be provided"));
    }
    Ok((names, single))
}

pub(crate) fn path_user(req: &HttpRequest, name: &str) -> ApiResult<Username> {
    let raw = segment(req, name)?;
    Username::parse(&raw).map_err(|_| room::user_not_found(&raw).into())
}

pub(crate) fn value_name(v: &Value) -> ApiResult<String> {
    match v {
        Value::String(s) if s.contains('\0') => Err(ApiError::illegal(
            "a username contains a NUL character (\\u0000)",
        )),
        Value::String(s) => Ok(s.trim().to_owned()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(ApiError::invalid(format!("{other} is not a username"))),
    }
}

/// Names from a JSON array body, deduplicated; unknown-format names are 404 (cannot exist).
pub(crate) fn body_names(
    list: Option<Vec<Value>>,
    max: usize,
    too_many: &str,
) -> ApiResult<Vec<Username>> {
    let list = list.ok_or_else(|| ApiError::invalid("usernames must be provided"))?;
    if list.is_empty() {
        return Err(ApiError::invalid("usernames must be provided"));
    }
    if list.len() > max {
        return Err(ApiError::invalid(format!("{too_many} : {max}")));
    }
    names_of(&list)
}

/// Usernames from a JSON list, repeats dropped; a name that cannot be a username cannot exist
/// either (404).
pub(crate) fn names_of(list: &[Value]) -> ApiResult<Vec<Username>> {
    let mut out: Vec<Username> = Vec::with_capacity(list.len());
    for v in list {
        let raw = value_name(v)?;
        let name = Username::parse(&raw).map_err(|_| ApiError::from(room::user_not_found(&raw)))?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

/// One page of the app's rooms of the scope's kind (`limit` in `[1, max_limit]`, default 10,
/// `cursor` from the previous page), and the cursor of the next page when one follows.
pub(crate) async fn rooms_page(
    req: &HttpRequest,
    admin: &AppAdmin,
    q: &QueryParams,
    max_limit: i64,
    newest_first: bool,
) -> ApiResult<(Vec<im_store::rooms::Room>, Option<String>)> {
    let st = crate::extract::state(req)?;
    let limit = q.int("limit", 10, 1, max_limit)?;
    let after = q
        .get("cursor")
        .map(|c| st.cursors.decode(c, 1))
        .transpose()?;
    let (rows, more) = im_store::rooms::page(
        &st.pool(),
        admin.tenant.id,
        face(req).kind,
        after.map(|c| c[0]),
        limit,
        newest_first,
    )
    .await?;
    let next = st.cursors.next(more, &rows, |r| r.id);
    Ok((rows, next))
}

pub(crate) fn required_user(raw: Option<String>, field: &str) -> ApiResult<Username> {
    let raw = raw
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::invalid(format!("{field} must be provided")))?;
    Username::parse(raw.trim()).map_err(|_| room::user_not_found(raw.trim()).into())
}

pub(crate) fn results(
    outcomes: Vec<Outcome>,
    action: &'static str,
    room: RoomIds,
) -> Vec<MemberResult> {
    outcomes
        .into_iter()
        .map(|(name, o)| MemberResult {
            result: o.is_ok(),
            action,
            reason: o.err(),
            user: name.into_string(),
            room: room.clone(),
        })
        .collect()
}

/// `mute_duration` as sent: an integer (also written `60000.0`) or a numeric string; anything
/// else is invalid.
pub(crate) fn mute_millis(raw: Option<Value>) -> ApiResult<Option<i64>> {
    let bad = |v: &Value| {
        ApiError::invalid(format!(
            "mute_duration [{v}] is not a number of milliseconds"
        ))
    };
    match raw {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| bad(&Value::Number(n.clone()))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(&Value::String(s.clone()))),
        Some(other) => Err(bad(&other)),
    }
}

/// A plain list of usernames with its `count`.
pub(crate) fn names_response(
    req: &HttpRequest,
    admin: &AppAdmin,
    names: Vec<String>,
) -> ApiResult<HttpResponse> {
    Ok(Envelope::new()
        .count(names.len())
        .data(names)
        .respond(req, &admin.tenant))
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `pagenum` (from 1) and `pagesize` (clamped to `[1, max_size]`) as an offset and a limit.
pub(crate) fn page_args(
    q: &QueryParams,
    default_size: i64,
    max_size: i64,
) -> ApiResult<(i64, i64)> {
    page_args_named(q, ("pagenum", "pagesize"), default_size, max_size)
}

/// The same, reading `pageNum`/`pageSize` when sent (the spelling some pages document).
pub(crate) fn page_args_camel(
    q: &QueryParams,
    default_size: i64,
    max_size: i64,
) -> ApiResult<(i64, i64)> {
    let pick = |camel: &'static str, lower: &'static str| {
        if q.get(camel).is_some() {
            camel
        } else {
            lower
        }
    };
    let names = (pick("pageNum", "pagenum"), pick("pageSize", "pagesize"));
    page_args_named(q, names, default_size, max_size)
}

fn page_args_named(
    q: &QueryParams,
    (num, size): (&str, &str),
    default_size: i64,
    max_size: i64,
) -> ApiResult<(i64, i64)> {
    let pagenum = q.int(num, 1, 1, i64::from(i32::MAX))?;
    let pagesize = q.int(size, default_size, 1, max_size)?;
    Ok(((pagenum - 1) * pagesize, pagesize))
}

pub(crate) fn check_texts(
    name: Option<&str>,
    description: Option<&str>,
    limits: &im_domain::Limits,
) -> ApiResult<()> {
    if let Some(n) = name {
        room::check_chars("title", n, limits.chatroom_name_chars)?;
    }
    if let Some(d) = description {
        room::check_chars("desc", d, limits.chatroom_description_chars)?;
    }
    Ok(())
}

/// Details of one room or of up to `limits.details_ids` (a comma list in the path), in the
/// order asked; an id not found among several answers `{id, error: missing}` after the found
/// ones. The rooms and their first members come from one statement.
pub(crate) async fn room_details<T: serde::Serialize>(
    req: HttpRequest,
    admin: AppAdmin,
    missing: &str,
    shape: fn(im_store::rooms::Room, Vec<Affiliation>) -> T,
) -> ApiResult<HttpResponse> {
    let st = crate::extract::state(&req)?;
    let kind = face(&req).kind;
    let raw = segment(&req, "room_id")?;
    let (parts, _) = comma_list(&raw);
    let max = st.config.limits.details_ids;
    if parts.len() > max {
        return Err(ApiError::invalid(format!(
            "the number of {} ids cannot exceed {max}",
            kind.as_str()
        )));
    }
    let ids: Vec<RoomId> = parts.iter().filter_map(|p| RoomId::parse(p)).collect();
    let rooms = im_store::rooms::details(
        &st.pool(),
        admin.tenant.id,
        kind,
        &ids,
        st.config.limits.details_affiliations,
    )
    .await?;
    if rooms.is_empty() {
        return Err(DomainError::ServiceResourceNotFound(format!(
            "do not find this group:{}",
            parts.first().cloned().unwrap_or_default()
        ))
        .into());
    }
    let found: Vec<i64> = rooms.iter().map(|r| r.room.id).collect();
    let count = rooms.len();
    /// A found room's details, or an id not found.
    #[derive(serde::Serialize)]
    #[serde(untagged)]
    enum Item<'a, T> {
        Found(T),
        Missing { id: String, error: &'a str },
    }
    let mut data: Vec<Item<T>> = rooms
        .into_iter()
        .map(|r| {
            let mine = r
                .names
                .into_iter()
                .zip(r.roles)
                .map(|(name, role)| Affiliation::of(name, role))
                .collect();
            Item::Found(shape(r.room, mine))
        })
        .collect();
    for p in parts {
        if !found.iter().any(|f| f.to_string() == p) {
            data.push(Item::Missing {
                id: p,
                error: missing,
            });
        }
    }
    Ok(Envelope::new()
        .data(data)
        .count(count)
        .respond(&req, &admin.tenant))
}
