//! The OpenAPI 3.1 document, generated from the handlers' annotations. Every tenant path is
//! listed twice: under `/{org_name}/{app_name}` and under `/app-id/{app_id}`.

use crate::routes::room::{admins as a, announcement as an, members as m, moderation as md};
use crate::routes::{
    callbacks as cb, chatroom_attributes as ca, user_attributes as ua, user_extras as ux,
};
use crate::routes::{
    chatrooms as c, console, counts, group_attributes as ga, group_files as gf, groups as g, ops,
    threads as t, token, users,
};
use utoipa::openapi::path::{
    HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::schema::{Array, ArrayBuilder, OneOfBuilder, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, Object, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Type,
};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "imserver",
        description = "Self-hosted IM management backend serving the Easemob / Agora Chat REST API. \
            Every tenant endpoint is served under `/{org_name}/{app_name}/…` and under \
            `/app-id/{app_id}/…`; management endpoints need an app token (`Authorization: Bearer …`)."
    ),
    paths(
        ops::health, ops::ready, ops::metrics,
        console::page, console::file,
        token::token,
        users::register, users::get, users::list, users::delete, users::delete_batch,
        users::set_password, users::deactivate, users::activate, users::set_nickname,
        c::create, c::list, c::joined, c::details, c::update, c::delete,
        m::members, m::add_member, m::add_members, m::remove_members,
        a::admins, a::add_admin, a::remove_admin,
        c::super_admins, c::add_super_admin, c::remove_super_admin,
        md::mutes, md::mute, md::unmute, md::ban, md::unban,
        md::blocks, md::block_one, md::block_many, md::unblock,
        md::whitelist, md::whitelist_one, md::whitelist_many, md::whitelist_remove,
        an::announcement, an::set_announcement, an::put_announcement,
        g::create, g::list, g::joined, g::is_joined, g::details, g::update, g::delete,
        g::disable, g::enable,
        ga::set, ga::get, ga::get_many,
        t::list_app, t::list_user, t::list_user_in_group, t::list_group, t::create, t::rename, t::delete,
        t::members, t::join, t::kick,
        gf::upload, gf::list, gf::download, gf::delete,
        ux::set, ux::get, ux::list, ux::disconnect, ux::disconnect_device,
        ua::set, ua::get, ua::get_many, ua::delete, ua::capacity,
        ca::set, ca::set_forced, ca::get, ca::delete, ca::delete_forced,
        cb::list, cb::create, cb::get, cb::update, cb::delete,
        cb::storage_info, cb::storage_retry, cb::storage_list,
        counts::counts,
    ),
    modifiers(&BearerAuth, &NonEmptyBodies, &GroupPaths, &ThreadPaths, &CommonResponses, &AppIdPaths),
    tags(
        (name = "tokens", description = "App and user tokens"),
        (name = "users", description = "IM users"),
        (name = "chatrooms", description = "Chatrooms: create, list, details, update, transfer, delete, announcement"),
        (name = "chatroom members", description = "Chatroom members and admins"),
        (name = "chatroom moderation", description = "Chatroom mutes, mute-all, blocks and whitelist"),
        (name = "chatroom super admins", description = "App-level chatroom super admins"),
        (name = "groups", description = "Groups: create, list, joined groups, details, update, transfer, disable, enable, delete"),
        (name = "group members", description = "Group members, admins and member attributes"),
        (name = "group moderation", description = "Group mutes, mute-all, blocks, whitelist and announcement"),
        (name = "threads", description = "Threads of groups: lists, create, rename, delete, members, join, kick"),
        (name = "group files", description = "Group shared files: upload, list, download, delete"),
        (name = "chatroom attributes", description = "Chatroom custom attributes: set, get, delete, forced set and delete"),
        (name = "user attributes", description = "Attributes of users: set, get, batch get, delete, capacity"),
        (name = "callbacks", description = "imserver extension: where an app's group and chatroom events (`group_op_event` callbacks) go, and the deliveries that did not succeed within the retry horizon"),
        (name = "app", description = "imserver extension: the app's totals (users, groups, chatrooms, threads), as the console's overview shows them"),
        (name = "console", description = "The admin console's page and files (a client of this API; see the README's Console section)"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "app_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

const NAMED_PREFIX: &str = "/{org_name}/{app_name}";
const CHATROOM: &str = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/";

/// The room core's shared endpoints serve groups too: each chatroom member, admin, moderation and
/// announcement operation is listed again under `/chatgroups/{group_id}/`, and the group list
/// aliases under their own paths.
struct GroupPaths;

impl Modify for GroupPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut copies: Vec<(String, PathItem)> = openapi
            .paths
            .paths
            .iter()
            .filter_map(|(path, item)| {
                let rest = path.strip_prefix(CHATROOM)?;
                let mut item = item.clone();
                for op in operations(&mut item) {
                    if let Some(id) = &op.operation_id {
                        op.operation_id = Some(match id.strip_prefix("chatrooms_") {
                            Some(rest) => format!("groups_{rest}"),
                            None => format!("group_{id}"),
                        });
                    }
                    if let Some(tags) = op.tags.as_mut() {
                        for t in tags.iter_mut() {
                            *t = t.replace("chatroom", "group");
                        }
                        if tags.iter().any(|t| t == "group chatrooms") {
                            *tags = vec!["group moderation".into()];
                        }
                    }
                    for p in op.parameters.iter_mut().flatten() {
                        if p.name == "chatroom_id" {
                            p.name = "group_id".into();
                            p.description = Some("The group id".into());
                        }
                    }
                }
                Some((
                    format!("{NAMED_PREFIX}/chatgroups/{{group_id}}/{rest}"),
                    item,
                ))
            })
            .collect();
        let alias = |from: &str, to: &str, suffix: &str, paths: &utoipa::openapi::path::Paths| {
            paths.paths.get(from).cloned().map(|mut item| {
                for op in operations(&mut item) {
                    if let Some(id) = &op.operation_id {
                        op.operation_id = Some(format!("{id}_{suffix}"));
                    }
                }
                (to.to_owned(), item)
            })
        };
        let joined = format!("{NAMED_PREFIX}/chatgroups/users/{{username}}");
        copies.extend(alias(
            &joined,
            &format!("{NAMED_PREFIX}/chatgroups/user/{{username}}"),
            "user",
            &openapi.paths,
        ));
        copies.extend(alias(
            &joined,
            &format!("{NAMED_PREFIX}/users/{{username}}/joined_chatgroups"),
            "of_user",
            &openapi.paths,
        ));
        openapi.paths.paths.extend(copies);
        // `is_joined` answers GET as well as POST.
        let is_joined =
            format!("{NAMED_PREFIX}/chatgroups/{{group_id}}/user/{{username}}/is_joined");
        if let Some(item) = openapi.paths.paths.get_mut(&is_joined) {
            if let Some(mut op) = item.post.clone() {
                op.operation_id = op.operation_id.map(|id| format!("{id}_get"));
                item.get = Some(op);
            }
        }
    }
}

/// The thread kick is documented under `/threads/{thread_id}/users`; its example sends it to
/// `/thread/{thread_id}/users`, which answers too.
struct ThreadPaths;

impl Modify for ThreadPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let from = format!("{NAMED_PREFIX}/threads/{{thread_id}}/users");
        let to = format!("{NAMED_PREFIX}/thread/{{thread_id}}/users");
        let Some(mut op) = openapi
            .paths
            .paths
            .get(&from)
            .and_then(|i| i.delete.clone())
        else {
            return;
        };
        op.operation_id = op.operation_id.map(|id| format!("{id}_thread"));
        if let Some(item) = openapi.paths.paths.get_mut(&to) {
            item.delete = Some(op);
        }
    }
}

/// The rule every username follows (API-NOTES §2).
pub const USERNAME_PATTERN: &str = "^[a-zA-Z0-9_.-]{1,64}$";

/// A username: 1–64 bytes of `[a-zA-Z0-9_.-]`.
pub fn username_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(USERNAME_PATTERN))
        .description(Some(
            "A username: 1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive",
        ))
        .build()
}

/// A non-empty list of usernames (a batch).
pub fn username_batch_schema() -> Array {
    ArrayBuilder::new()
        .items(username_schema())
        .min_items(Some(1))
        .description(Some(
            "Usernames; at most 60 by default (`limits.batch_add`)",
        ))
        .build()
}

/// A thread join or kick: 1 to 10 usernames by default (`limits.thread_batch`).
pub fn thread_batch_schema() -> Array {
    ArrayBuilder::new()
        .items(username_schema())
        .min_items(Some(1))
        .max_items(Some(10))
        .description(Some(
            "Usernames; at most 10 by default (`limits.thread_batch`)",
        ))
        .build()
}

/// A list of usernames that may be empty.
pub fn username_array_schema() -> Array {
    ArrayBuilder::new().items(username_schema()).build()
}

/// `ttl`: seconds as an integer or a string of digits.
pub fn ttl_schema() -> Schema {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9]*$")),
        )
        .description(Some(
            "Token lifetime in seconds: a non-negative integer or a string of digits. Absent or \
             `\"\"` means the configured default, `0` the configured maximum; larger values \
             are capped at it.",
        ))
        .build()
        .into()
}

/// `mute_duration`: `-1` or a positive number of milliseconds, as a number or a string.
pub fn mute_duration_schema() -> Schema {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(-1))
                .maximum(Some(-1)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(i64::MAX)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^(-1|0*[1-9][0-9]{0,17})$")),
        )
        .description(Some(
            "Milliseconds from now, or `-1` for until 4638873600000; a number or a numeric string",
        ))
        .build()
        .into()
}

/// Request bodies that must name at least one field (`minProperties: 1`). Set here because
/// `#[schema(min_properties = …)]` renders as `maxProperties` in utoipa-gen 5.
struct NonEmptyBodies;

const NON_EMPTY_BODIES: &[&str] = &["UpdateChatroom", "UpdateGroup"];

impl Modify for NonEmptyBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in NON_EMPTY_BODIES {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(*name) {
                o.min_properties = Some(1);
            }
        }
    }
}

/// Error statuses that every tenant endpoint of a kind can answer, whatever the handler:
/// 503 (the database is unreachable or its pool exhausted), 409 on writes (a deadlock or
/// serialization failure with a concurrent request), 413 and 400 where a body is read, and 429
/// (the app's rate limit, or a server-wide bound).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let Some(rest) = path.strip_prefix(NAMED_PREFIX) else {
                continue;
            };
            for (method, op) in operations_by_method(item) {
                add_error(
                    op,
                    503,
                    "service_unavailable: the database is unreachable or busy; retry later",
                );
                let write = !matches!(method, HttpMethod::Get) && rest != "/token";
                if write {
                    add_error(
                        op,
                        409,
                        "concurrent_operation_error: a concurrent request conflicted with this \
                         one; retry it",
                    );
                }
                if op.request_body.is_some() {
                    add_error(
                        op,
                        400,
                        "json_parse: the body is not JSON; illegal_argument: a field of the \
                         wrong type",
                    );
                    add_error(
                        op,
                        413,
                        "request_entity_too_large: the body exceeds `server.body_limit_bytes`",
                    );
                }
                add_error(
                    op,
                    429,
                    "reach_limit: over the app's rate limit for this operation (when the operator \
                     set one), or a server-wide bound; retry after `Retry-After` seconds",
                );
            }
        }
    }
}

fn add_error(op: &mut Operation, status: u16, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
                .into()
        });
}

fn operations_by_method(item: &mut PathItem) -> impl Iterator<Item = (HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
        (HttpMethod::Patch, item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
}

struct AppIdPaths;

impl Modify for AppIdPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let copies: Vec<(String, PathItem)> = openapi
            .paths
            .paths
            .iter()
            .filter_map(|(path, item)| {
                path.strip_prefix(NAMED_PREFIX).map(|rest| {
                    let mut item = item.clone();
                    for op in operations(&mut item) {
                        retarget(op);
                    }
                    (format!("/app-id/{{app_id}}{rest}"), item)
                })
            })
            .collect();
        openapi.paths.paths.extend(copies);
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn retarget(op: &mut Operation) {
    if let Some(id) = &op.operation_id {
        op.operation_id = Some(format!("{id}_by_app_id"));
    }
    let params = op.parameters.get_or_insert_with(Vec::new);
    params.retain(|p| !(p.name == "org_name" || p.name == "app_name"));
    params.insert(0, app_id_param());
}

fn app_id_param() -> Parameter {
    ParameterBuilder::new()
        .name("app_id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(
            "The app's id (32 lowercase hex), as `imserver app list` shows",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
