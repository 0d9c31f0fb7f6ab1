//! Room blocks and whitelist, for chatrooms and groups alike, with the shared-core unblock fix
//! (docs-groups-contract.md §13, §14, §18).

use crate::helpers::*;
use crate::kinds::*;
use serde_json::{json, Value};
use sqlx::PgPool;

/// The result of a block or whitelist `action` on `user` that succeeded.
fn done(kind: Kind, id: &str, action: &str, user: &str) -> Value {
    let mut v = json!({"result": true, "action": action, "user": user});
    v[kind.list_key] = json!(id);
    v
}

/// `user: {user} doesn't exist in {noun}: {id}`
fn not_member(kind: Kind, id: &str, user: &str) -> String {
    format!("user: {user} doesn't exist in {}: {id}", kind.noun)
}

/// The result of a block or whitelist `action` on `user` refused for `reason`.
fn refused(kind: Kind, id: &str, action: &str, user: &str, reason: String) -> Value {
    let mut v = done(kind, id, action, user);
    v["result"] = json!(false);
    v["reason"] = json!(reason);
    v
}

/// A room of the 61 members `u0`…`u60`, with the user `cat` outside it. Checks that a batch of
/// only `cat` to the `list` (`/blocks/users` or `/white/users`) is refused (but a group's block
/// list, which takes users who are not members), and answers the app, the room, the list's path
/// and the members' names.
async fn start_with_61_members(
    kind: Kind,
    pool: PgPool,
    list: &str,
) -> (TestApp, String, String, Vec<String>) {
    let names = many("u", 61);
    let (app, id) = kind.start(pool, "olga", &refs(&names)).await;
    app.register(&["cat"]).await;
    let path = kind.at(&id, list);
    if !(kind.segment == "chatgroups" && list == "/blocks/users") {
        let r = app.post(&path, json!({"usernames": ["cat"]})).await;
        let d = assert_error(&r, kind.refused, FORBIDDEN);
        assert_eq!(d, "users [cat] are not members of this group!");
    }
    (app, id, path, names)
}

// ---- blocks ----

async fn blocking_a_member_removes_it_and_keeps_it_out_until_unblocked(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    let r = kind.block(&app, &id, "AMY").await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        done(kind, &id, "add_blocks", "amy")
    );
    assert_eq!(kind.members(&app, &id).await, ["olga", "bob"]);
    assert_eq!(kind.count(&app, &id).await, 2);
    assert_eq!(kind.blocks(&app, &id).await, ["amy"]);
    assert_error(&kind.add(&app, &id, "amy").await, 403, "forbidden_op");
    assert_error(
        &kind.add_batch(&app, &id, json!(["amy"])).await,
        403,
        "forbidden_op",
    );
    assert!(kind.joined(&app, "amy").await.is_empty());
    let r = app.delete(&kind.at(&id, "/blocks/users/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        done(kind, &id, "remove_blocks", "amy")
    );
    assert!(kind.blocks(&app, &id).await.is_empty());
    // Unblocking does not make a member; adding does.
    assert_eq!(kind.count(&app, &id).await, 2);
    assert_eq!(kind.add(&app, &id, "amy").await.status, 200);
    assert_eq!(kind.count(&app, &id).await, 3);
}
both_kinds!(blocking_a_member_removes_it_and_keeps_it_out_until_unblocked);

async fn blocking_drops_the_admin_role_mute_and_whitelist_entry(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    let calls = [
        kind.make_admin(&app, &id, "amy").await,
        kind.mute_for(&app, &id, &["amy"], json!(-1)).await,
        post_empty(&app, &kind.at(&id, "/white/users/amy")).await,
    ];
    for r in calls {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(kind.lists(&app, &id).await, [1, 1, 1]);
    assert_eq!(kind.block(&app, &id, "amy").await.status, 200);
    assert_eq!(kind.lists(&app, &id).await, [0, 0, 0]);
    assert_eq!(roles(&app, &id).await, [("olga".to_owned(), 2)]);
}
both_kinds!(blocking_drops_the_admin_role_mute_and_whitelist_entry);

async fn blocking_refuses_the_owner_and_unknown_users(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    assert_refusal(
        &kind.block(&app, &id, "olga").await,
        403,
        FORBIDDEN,
        "forbidden operation on group owner!",
    );
    assert_no_ghost(&kind.block(&app, &id, "ghost").await);
    assert_refusal(
        &kind.block(&app, "999999", "amy").await,
        404,
        NOT_FOUND,
        "grpID 999999 does not exist!",
    );
    assert!(kind.blocks(&app, &id).await.is_empty());
    assert_eq!(kind.count(&app, &id).await, 2);
}
both_kinds!(blocking_refuses_the_owner_and_unknown_users);

/// A chatroom blocks only its members (its page documents the 400); a group blocks anyone, as
/// clients written for the hosted service expect, and the blocked user cannot join until
/// unblocked.
async fn blocking_a_non_member_blocks_in_a_group_and_is_refused_in_a_chatroom(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    app.register(&["cat", "dan"]).await;
    let r = kind.block(&app, &id, "cat").await;
    if kind.segment == "chatrooms" {
        assert_refusal(
            &r,
            kind.refused,
            FORBIDDEN,
            "users [cat] are not members of this group!",
        );
        assert!(kind.blocks(&app, &id).await.is_empty());
        return;
    }
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        done(kind, &id, "add_blocks", "cat")
    );
    let r = app
        .post(
            &kind.at(&id, "/blocks/users"),
            json!({"usernames": ["dan"]}),
        )
        .await;
    assert_eq!(
        *entry(&assert_envelope(&r, "post")["data"], "dan"),
        done(kind, &id, "add_blocks", "dan")
    );
    assert_eq!(kind.blocks(&app, &id).await, ["cat", "dan"]);
    assert_eq!(kind.count(&app, &id).await, 2);
    let join = kind.add(&app, &id, "cat").await;
    assert_eq!(join.status, 403, "{}", join.body);
    assert_eq!(kind.members(&app, &id).await, ["olga", "amy"]);
    assert_eq!(
        app.delete(&kind.at(&id, "/blocks/users/cat")).await.status,
        200
    );
    assert_eq!(kind.add(&app, &id, "cat").await.status, 200);
}
both_kinds!(blocking_a_non_member_blocks_in_a_group_and_is_refused_in_a_chatroom);

async fn a_batch_block_answers_a_result_per_user(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob", "dan"]).await;
    app.register(&["cat"]).await;
    let r = app
        .post(
            &kind.at(&id, "/blocks/users"),
            json!({"usernames": ["amy", "BOB", "cat"]}),
        )
        .await;
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(data.as_array().unwrap().len(), 3, "{data}");
    for u in ["amy", "bob"] {
        assert_eq!(*entry(data, u), done(kind, &id, "add_blocks", u));
    }
    if kind.segment == "chatrooms" {
        assert_eq!(
            *entry(data, "cat"),
            refused(kind, &id, "add_blocks", "cat", not_member(kind, &id, "cat"))
        );
        assert_eq!(kind.blocks(&app, &id).await, ["amy", "bob"]);
    } else {
        assert_eq!(*entry(data, "cat"), done(kind, &id, "add_blocks", "cat"));
        assert_eq!(kind.blocks(&app, &id).await, ["amy", "bob", "cat"]);
    }
    assert_eq!(kind.members(&app, &id).await, ["olga", "dan"]);
    assert_eq!(kind.count(&app, &id).await, 2);
}
both_kinds!(a_batch_block_answers_a_result_per_user);

async fn a_batch_block_of_nobody_blockable_the_owner_or_more_than_60_is_refused(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id, path, names) = start_with_61_members(kind, pool, "/blocks/users").await;
    assert_refusal(
        &app.post(&path, json!({"usernames": ["u1", "olga"]})).await,
        403,
        FORBIDDEN,
        "forbidden operation on group owner!",
    );
    assert_refusal(
        &app.post(&path, json!({"usernames": names})).await,
        400,
        "invalid_parameter",
        "userNames is more than max limit : 60",
    );
    assert_error(&app.post(&path, json!({})).await, 400, "invalid_parameter");
    assert!(kind.blocks(&app, &id).await.is_empty());
    assert_eq!(kind.count(&app, &id).await, 62);
}
both_kinds!(a_batch_block_of_nobody_blockable_the_owner_or_more_than_60_is_refused);

async fn a_batch_unblock_answers_a_result_per_user(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    for u in ["amy", "bob"] {
        assert_eq!(kind.block(&app, &id, u).await.status, 200);
    }
    let r = app.delete(&kind.at(&id, "/blocks/users/amy,cat")).await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(*entry(data, "amy"), done(kind, &id, "remove_blocks", "amy"));
    let reason = format!("user: cat is not in the blocklist of {}: {id}", kind.noun);
    assert_eq!(
        *entry(data, "cat"),
        refused(kind, &id, "remove_blocks", "cat", reason)
    );
    assert_eq!(kind.blocks(&app, &id).await, ["bob"]);
    let r = app.delete(&kind.at(&id, "/blocks/users/bob%2Camy")).await;
    assert_eq!(entry(&r.body["data"], "bob")["result"], true, "{}", r.body);
    assert!(kind.blocks(&app, &id).await.is_empty());
    let long = many("u", 61).join(",");
    assert_refusal(
        &app.delete(&kind.at(&id, &format!("/blocks/users/{long}")))
            .await,
        400,
        "invalid_parameter",
        "removeBlacklist: list size more than max limit : 60",
    );
}
both_kinds!(a_batch_unblock_answers_a_result_per_user);

async fn unblocking_a_user_who_is_not_blocked_says_so(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "dan"]).await;
    app.register(&["cat"]).await;
    assert_eq!(kind.block(&app, &id, "amy").await.status, 200);
    // The shared-core fix: not "not members" but "not in the blocklist".
    for u in ["cat", "dan"] {
        let d = assert_error(
            &app.delete(&kind.at(&id, &format!("/blocks/users/{u}")))
                .await,
            kind.refused,
            FORBIDDEN,
        );
        assert!(!d.contains("not members"), "{d}");
        assert_eq!(
            d,
            format!("user: {u} is not in the blocklist of {}: {id}", kind.noun)
        );
    }
    assert_no_ghost(&app.delete(&kind.at(&id, "/blocks/users/ghost")).await);
    assert_eq!(kind.blocks(&app, &id).await, ["amy"]);
}
both_kinds!(unblocking_a_user_who_is_not_blocked_says_so);

// ---- whitelist ----

async fn whitelisting_one_member_adds_lists_and_removes_it(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let r = post_empty(&app, &kind.at(&id, "/white/users/AMY")).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        done(kind, &id, "add_user_whitelist", "amy")
    );
    assert_eq!(kind.whites(&app, &id).await, ["amy"]);
    assert_refusal(
        &post_empty(&app, &kind.at(&id, "/white/users/cat")).await,
        kind.refused,
        FORBIDDEN,
        "users [cat] are not members of this group!",
    );
    assert_no_ghost(&post_empty(&app, &kind.at(&id, "/white/users/ghost")).await);
    let r = app.delete(&kind.at(&id, "/white/users/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!([done(kind, &id, "remove_user_whitelist", "amy")])
    );
    assert!(kind.whites(&app, &id).await.is_empty());
}
both_kinds!(whitelisting_one_member_adds_lists_and_removes_it);

async fn a_batch_whitelist_add_and_remove_answer_a_result_per_user(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    let path = kind.at(&id, "/white/users");
    let r = app
        .post(&path, json!({"usernames": ["amy", "bob", "cat"]}))
        .await;
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(
        *entry(data, "amy"),
        done(kind, &id, "add_user_whitelist", "amy")
    );
    assert_eq!(entry(data, "bob")["result"], true);
    assert_eq!(
        *entry(data, "cat"),
        refused(
            kind,
            &id,
            "add_user_whitelist",
            "cat",
            not_member(kind, &id, "cat")
        )
    );
    assert_eq!(kind.whites(&app, &id).await, ["amy", "bob"]);
    let r = app.delete(&format!("{path}/amy,cat")).await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(
        *entry(data, "amy"),
        done(kind, &id, "remove_user_whitelist", "amy")
    );
    let reason = format!("user: cat is not in the whitelist of {}: {id}", kind.noun);
    assert_eq!(
        *entry(data, "cat"),
        refused(kind, &id, "remove_user_whitelist", "cat", reason)
    );
    assert_eq!(kind.whites(&app, &id).await, ["bob"]);
    let r = app.delete(&format!("{path}/bob%2Camy")).await;
    assert_eq!(entry(&r.body["data"], "bob")["result"], true, "{}", r.body);
    assert!(kind.whites(&app, &id).await.is_empty());
}
both_kinds!(a_batch_whitelist_add_and_remove_answer_a_result_per_user);

async fn a_batch_whitelist_of_non_members_or_more_than_60_is_refused(kind: Kind, pool: PgPool) {
    let (app, id, path, names) = start_with_61_members(kind, pool, "/white/users").await;
    assert_refusal(
        &app.post(&path, json!({"usernames": names})).await,
        400,
        "invalid_parameter",
        "usernames size is more than max limit : 60",
    );
    assert_refusal(
        &app.delete(&format!("{path}/{}", names.join(","))).await,
        400,
        "invalid_parameter",
        "removeWhitelist size is more than max limit : 60",
    );
    assert!(kind.whites(&app, &id).await.is_empty());
}
both_kinds!(a_batch_whitelist_of_non_members_or_more_than_60_is_refused);
