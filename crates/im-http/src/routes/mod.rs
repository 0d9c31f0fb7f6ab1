//! Every route, registered once and served under both tenant URL forms.

pub mod callbacks;
pub mod chatroom_attributes;
pub mod chatrooms;
pub mod console;
pub mod counts;
pub mod group_attributes;
pub mod group_files;
pub mod groups;
pub mod ops;
pub mod room;
pub mod threads;
pub mod token;
pub mod user_attributes;
pub mod user_extras;
pub mod users;

use actix_web::web;
use room::Face;

/// The routes under a tenant prefix.
pub fn tenant_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/token").route(web::post().to(token::token)))
        .service(
            web::resource("/users")
                .route(web::post().to(users::register))
                .route(web::get().to(users::list))
                .route(web::delete().to(users::delete_batch)),
        )
        .service(
            web::resource("/users/{username}")
                .route(web::get().to(users::get))
                .route(web::delete().to(users::delete))
                .route(web::put().to(users::set_nickname)),
        )
        .service(
            web::resource("/users/{username}/password").route(web::put().to(users::set_password)),
        )
        .service(
            web::resource("/users/{username}/deactivate").route(web::post().to(users::deactivate)),
        )
        .service(web::resource("/users/{username}/activate").route(web::post().to(users::activate)))
        .service(
            web::resource("/users/{username}/joined_chatrooms")
                .route(web::get().to(chatrooms::joined)),
        )
        .service(
            web::resource("/users/{username}/joined_chatgroups")
                .app_data(Face::GROUP)
                .route(web::get().to(groups::joined)),
        )
        .service(web::resource("/counts").route(web::get().to(counts::counts)))
        .configure(user_extra_routes)
        .configure(callback_routes)
        .service(web::scope("/metadata/chatroom/{room_id}").configure(chatroom_attribute_routes))
        .service(
            web::scope("/chatrooms")
                .app_data(Face::CHATROOM)
                .configure(chatroom_routes)
                .configure(room_routes),
        )
        .service(
            web::scope("/chatgroups")
                .app_data(Face::GROUP)
                .configure(group_routes)
                .configure(room_routes),
        )
        .configure(thread_routes)
        .service(
            web::scope("/metadata/chatgroup/{room_id}")
                .app_data(Face::GROUP)
                .service(
                    web::resource("/user/{username}")
                        .route(web::put().to(group_attributes::set))
                        .route(web::get().to(group_attributes::get)),
                )
                .service(web::resource("/get").route(web::post().to(group_attributes::get_many))),
        );
}

/// Callback rules and dead letters.
fn callback_routes(cfg: &mut web::ServiceConfig) {
    use callbacks as cb;
    cfg.service(
        web::resource("/callbacks/rules")
            .route(web::get().to(cb::list))
            .route(web::post().to(cb::create)),
    )
    .service(
        web::resource("/callbacks/rules/{rule_id}")
            .route(web::get().to(cb::get))
            .route(web::put().to(cb::update))
            .route(web::delete().to(cb::delete)),
    )
    .service(web::resource("/callbacks/storage").route(web::get().to(cb::storage_list)))
    .service(web::resource("/callbacks/storage/info").route(web::get().to(cb::storage_info)))
    .service(web::resource("/callbacks/storage/retry").route(web::post().to(cb::storage_retry)));
}

/// Threads: `/thread…` for the thread itself, `/threads…` for the user lists and the kick (its
/// documented path; the kick answers under `/thread/{thread_id}/users` too, as its example sends).
fn thread_routes(cfg: &mut web::ServiceConfig) {
    use threads as t;
    cfg.service(
        web::resource("/thread")
            .route(web::get().to(t::list_app))
            .route(web::post().to(t::create)),
    )
    .service(
        web::resource("/thread/{thread_id}")
            .route(web::put().to(t::rename))
            .route(web::delete().to(t::delete)),
    )
    .service(
        web::resource("/thread/{thread_id}/users")
            .route(web::get().to(t::members))
            .route(web::post().to(t::join))
            .route(web::delete().to(t::kick)),
    )
    .service(web::resource("/threads/user/{username}").route(web::get().to(t::list_user)))
    .service(
        web::resource("/threads/chatgroups/{group_id}/user/{username}")
            .route(web::get().to(t::list_user_in_group)),
    )
    .service(web::resource("/threads/{thread_id}/users").route(web::delete().to(t::kick)));
}

/// Global mutes, force offline and user attributes. `/metadata/user/capacity` and
/// `/metadata/user/get` are fixed paths: they win over a user of that name.
fn user_extra_routes(cfg: &mut web::ServiceConfig) {
    use {user_attributes as ua, user_extras as ux};
    cfg.service(
        web::resource("/mutes")
            .route(web::post().to(ux::set))
            .route(web::get().to(ux::list)),
    )
    .service(web::resource("/mutes/{username}").route(web::get().to(ux::get)))
    .service(web::resource("/users/{username}/disconnect").route(web::get().to(ux::disconnect)))
    .service(
        web::resource("/users/{username}/disconnect/{resource_id}")
            .route(web::delete().to(ux::disconnect_device)),
    )
    .service(web::resource("/metadata/user/capacity").route(web::get().to(ua::capacity)))
    .service(web::resource("/metadata/user/get").route(web::post().to(ua::get_many)))
    .service(
        web::resource("/metadata/user/{username}")
            .route(web::put().to(ua::set))
            .route(web::get().to(ua::get))
            .route(web::delete().to(ua::delete)),
    );
}

/// Chatroom custom attributes.
fn chatroom_attribute_routes(cfg: &mut web::ServiceConfig) {
    use chatroom_attributes as ca;
    cfg.service(web::resource("").route(web::post().to(ca::get)))
        .service(
            web::resource("/user/{username}")
                .route(web::put().to(ca::set))
                .route(web::delete().to(ca::delete)),
        )
        .service(
            web::resource("/user/{username}/forced")
                .route(web::put().to(ca::set_forced))
                .route(web::delete().to(ca::delete_forced)),
        );
}

/// What only chatrooms have, and their own faces of the room itself. `super_admin` comes before
/// `{room_id}` so that it wins.
fn chatroom_routes(cfg: &mut web::ServiceConfig) {
    use chatrooms as c;
    cfg.service(
        web::resource("")
            .route(web::post().to(c::create))
            .route(web::get().to(c::list)),
    )
    .service(
        web::resource("/super_admin")
            .route(web::get().to(c::super_admins))
            .route(web::post().to(c::add_super_admin)),
    )
    .service(
        web::resource("/super_admin/{superadmin}").route(web::delete().to(c::remove_super_admin)),
    )
    .service(
        web::resource("/{room_id}")
            .route(web::get().to(c::details))
            .route(web::put().to(c::update))
            .route(web::delete().to(c::delete)),
    );
}

/// What only groups have, and their own faces of the room itself. The user lists come before
/// `{room_id}` so that they win.
fn group_routes(cfg: &mut web::ServiceConfig) {
    use groups as g;
    cfg.service(
        web::resource("")
            .route(web::post().to(g::create))
            .route(web::get().to(g::list)),
    )
    .service(web::resource("/users/{username}").route(web::get().to(g::joined)))
    .service(web::resource("/user/{username}").route(web::get().to(g::joined)))
    .service(
        web::resource("/{room_id}")
            .route(web::get().to(g::details))
            .route(web::put().to(g::update))
            .route(web::delete().to(g::delete)),
    )
    .service(
        web::resource("/{room_id}/share_files")
            .route(web::post().to(group_files::upload))
            .route(web::get().to(group_files::list)),
    )
    .service(
        web::resource("/{room_id}/share_files/{file_id}")
            .route(web::get().to(group_files::download))
            .route(web::delete().to(group_files::delete)),
    )
    .service(web::resource("/{room_id}/threads").route(web::get().to(threads::list_group)))
    .service(web::resource("/{room_id}/disable").route(web::post().to(g::disable)))
    .service(web::resource("/{room_id}/enable").route(web::post().to(g::enable)))
    .service(
        web::resource("/{room_id}/user/{username}/is_joined")
            .route(web::post().to(g::is_joined))
            .route(web::get().to(g::is_joined)),
    );
}

/// The room core's endpoints, the same for both kinds: the scope's [`Face`] tells them apart.
fn room_routes(cfg: &mut web::ServiceConfig) {
    use room::{admins as a, announcement as an, members as m, moderation as md};
    cfg.service(
        web::resource("/{room_id}/users")
            .route(web::get().to(m::members))
            .route(web::post().to(m::add_members)),
    )
    .service(
        web::resource("/{room_id}/users/{usernames}")
            .route(web::post().to(m::add_member))
            .route(web::delete().to(m::remove_members)),
    )
    .service(
        web::resource("/{room_id}/admin")
            .route(web::get().to(a::admins))
            .route(web::post().to(a::add_admin)),
    )
    .service(web::resource("/{room_id}/admin/{oldadmin}").route(web::delete().to(a::remove_admin)))
    .service(
        web::resource("/{room_id}/mute")
            .route(web::get().to(md::mutes))
            .route(web::post().to(md::mute)),
    )
    .service(web::resource("/{room_id}/mute/{usernames}").route(web::delete().to(md::unmute)))
    .service(
        web::resource("/{room_id}/ban")
            .route(web::post().to(md::ban))
            .route(web::delete().to(md::unban)),
    )
    .service(
        web::resource("/{room_id}/blocks/users")
            .route(web::get().to(md::blocks))
            .route(web::post().to(md::block_many)),
    )
    .service(
        web::resource("/{room_id}/blocks/users/{usernames}")
            .route(web::post().to(md::block_one))
            .route(web::delete().to(md::unblock)),
    )
    .service(
        web::resource("/{room_id}/white/users")
            .route(web::get().to(md::whitelist))
            .route(web::post().to(md::whitelist_many)),
    )
    .service(
        web::resource("/{room_id}/white/users/{usernames}")
            .route(web::post().to(md::whitelist_one))
            .route(web::delete().to(md::whitelist_remove)),
    )
    .service(
        web::resource("/{room_id}/announcement")
            .route(web::get().to(an::announcement))
            .route(web::post().to(an::set_announcement))
            .route(web::put().to(an::put_announcement)),
    );
}
