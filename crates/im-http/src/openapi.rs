//! The OpenAPI 3.1 document, generated from the handlers' annotations. Every tenant path is
//! listed twice: under `/{org_name}/{app_name}` and under `/app-id/{app_id}`.

use crate::routes::room::{admins as a, announcement as an, members as m, moderation as md};
use crate::routes::{chatrooms as c, group_attributes as ga, groups as g, ops, token, users};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, Required, Type};
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
        an::announcement, an::set_announcement,
        g::create, g::list, g::joined, g::is_joined, g::details, g::update, g::delete,
        g::disable, g::enable,
        ga::set, ga::get, ga::get_many,
    ),
    modifiers(&BearerAuth, &GroupPaths, &AppIdPaths),
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
                        op.operation_id = Some(format!("group_{id}"));
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
