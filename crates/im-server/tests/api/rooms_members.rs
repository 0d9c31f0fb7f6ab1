//! Room members, for chatrooms and groups alike: the member list, adding one or a batch, the
//! per-user join limit and the batch limits (docs-groups-contract.md §10).

use crate::groups_attributes::{get_attrs, set_attrs};
use crate::helpers::*;
use crate::kinds::*;
use serde_json::json;
use sqlx::PgPool;

// ---- member list ----

async fn the_member_list_pages_by_pagenum_owner_first_then_join_order(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    let names = ["zed", "amy", "kim", "bob"];
    app.register(&names).await;
    for u in names {
        assert_eq!(kind.add(&app, &id, u).await.status, 200);
    }
    let page = |q: &str| {
        let (app, path) = (&app, kind.at(&id, &format!("/users{q}")));
        async move { app.get(&path).await }
    };
    let r = page("").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(
        b["data"],
        json!([{"owner": "olga"}, {"member": "zed"}, {"member": "amy"},
               {"member": "kim"}, {"member": "bob"}])
    );
    assert_eq!(b["count"], 5);
    let r = page("?pagenum=2&pagesize=2").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["data"], json!([{"member": "amy"}, {"member": "kim"}]));
    assert_eq!(b["count"], 2);
    assert_eq!(b["params"], json!({"pagenum": ["2"], "pagesize": ["2"]}));
    for first in ["?pagenum=0&pagesize=2", "?pagenum=1&pagesize=2"] {
        assert_eq!(
            page(first).await.body["data"],
            json!([{"owner": "olga"}, {"member": "zed"}]),
            "{first}"
        );
    }
    let r = page("?pagenum=3&pagesize=2").await;
    assert_eq!(r.body["data"], json!([{"member": "bob"}]));
    let r = page("?pagenum=4&pagesize=2").await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["count"], 0);
    let r = page("?pagesize=0").await;
    assert_eq!(r.body["data"], json!([{"owner": "olga"}]));
    assert_refusal(
        &app.get(&kind.path("/999999/users")).await,
        404,
        "service_resource_not_found",
        "do not find this group:999999",
    );
}
both_kinds!(the_member_list_pages_by_pagenum_owner_first_then_join_order);

/// Pages in the back half of a room are counted from its last member backwards: every page
/// number, at every page size, must still cut the same list as the cursor walk, also once
/// removals have left gaps in the join order.
async fn every_page_by_number_cuts_the_same_list_from_either_end(kind: Kind, pool: PgPool) {
    let names = many("p", 22);
    let (app, id) = kind.start(pool, "olga", &refs(&names)).await;
    let r = kind.remove(&app, &id, "p3,p10,p17").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, all) = walk_cursor(&app, &kind.at(&id, "/users?version=v3&limit=50"), None).await;
    assert_eq!(all.len(), 20);
    assert_eq!(all[0], "olga");
    for size in [1, 3, 7, 20] {
        let mut cut = Vec::new();
        for pagenum in 1..=all.len().div_ceil(size) + 1 {
            let q = format!("/users?pagenum={pagenum}&pagesize={size}");
            let r = app.get(&kind.at(&id, &q)).await;
            let b = assert_envelope(&r, "get");
            let page: Vec<String> = b["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_object().unwrap().values().next().unwrap())
                .map(|n| n.as_str().unwrap().to_owned())
                .collect();
            let want = &all[((pagenum - 1) * size).min(all.len())..(pagenum * size).min(all.len())];
            assert_eq!(page, want, "pagenum {pagenum}, pagesize {size}");
            assert_eq!(b["count"], page.len());
            cut.extend(page);
        }
        assert_eq!(cut, all, "pagesize {size}");
    }
}
both_kinds!(every_page_by_number_cuts_the_same_list_from_either_end);

async fn the_member_list_has_a_default_and_a_largest_page(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("m", 105);
    let id = kind.setup(&app, "olga", &refs(&names[..100])).await;
    app.register(&refs(&names[100..])).await;
    let r = kind.add_batch(&app, &id, json!(names[100..])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (default, largest) = kind.member_page;
    let r = app.get(&kind.at(&id, "/users")).await;
    let b = assert_envelope(&r, "get");
    let want = default.min(106);
    assert_eq!(b["count"], want);
    assert_eq!(b["data"][0], json!({"owner": "olga"}));
    assert_eq!(
        b["data"][want - 1],
        json!({"member": format!("m{}", want - 2)})
    );
    let r = app.get(&kind.at(&id, "/users?pagesize=1000")).await;
    assert_eq!(r.body["count"], largest.min(106));
    let r = app
        .get(&kind.at(&id, "/users?pagenum=2&pagesize=100"))
        .await;
    assert_eq!(r.body["count"], 6);
    assert_eq!(r.body["data"][5], json!({"member": "m104"}));
}
both_kinds!(the_member_list_has_a_default_and_a_largest_page);

async fn the_v3_member_list_walks_a_cursor_to_the_end_without_duplicates(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    let names = ["m7", "m2", "m9", "m1", "m5", "m3", "m8"];
    app.register(&names).await;
    for u in names {
        assert_eq!(kind.add(&app, &id, u).await.status, 200);
    }
    let base = kind.at(&id, "/users?version=v3&limit=3");
    let r = app.get(&base).await;
    assert_eq!(assert_envelope(&r, "get")["count"], 3);
    let (pages, seen) = walk_cursor(&app, &base, None).await;
    assert_eq!(pages, 3);
    let mut want = vec!["olga"];
    want.extend(names);
    assert_eq!(seen, want);
    // The default page holds everything here, with no cursor.
    let r = app.get(&kind.at(&id, "/users?version=v3")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(strings(&b["data"]), want);
    assert!(b.get("cursor").is_none(), "{b}");
    assert_error(
        &app.get(&format!("{base}&cursor=bogus")).await,
        400,
        "invalid_parameter",
    );
    let r = app.get(&kind.path("/999999/users?version=v3")).await;
    assert_error(&r, 404, "service_resource_not_found");
}
both_kinds!(the_v3_member_list_walks_a_cursor_to_the_end_without_duplicates);

// ---- add one ----

async fn adding_one_member_answers_the_documented_data(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    app.register(&["bob"]).await;
    let r = kind.add(&app, &id, "BOB").await;
    let mut want = json!({"result": true, "action": "add_member", "user": "bob"});
    want[kind.id_key] = json!(id);
    assert_eq!(assert_envelope(&r, "post")["data"], want);
    assert_eq!(kind.count(&app, &id).await, 2);
    assert_eq!(kind.members(&app, &id).await, ["olga", "bob"]);
}
both_kinds!(adding_one_member_answers_the_documented_data);

async fn adding_one_member_refuses_unknowns_members_blocked_users_and_a_full_room(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    app.register(&["cat", "dan"]).await;
    assert_no_room(&kind.add(&app, "999999", "cat").await, "999999");
    assert_no_ghost(&kind.add(&app, &id, "ghost").await);
    for u in ["amy", "olga"] {
        let d = assert_error(&kind.add(&app, &id, u).await, kind.refused, FORBIDDEN);
        assert!(d.contains(u), "{d}");
        if kind.is_group() {
            assert_eq!(
                d.trim_end(),
                format!("can not join this group, reason:user: {u} already in group: {id}")
            );
        }
    }
    let r = kind.block(&app, &id, "bob").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = assert_error(&kind.add(&app, &id, "bob").await, 403, "forbidden_op");
    if kind.is_group() {
        assert_eq!(
            d,
            format!("can not join this group, reason:user bob is in the blocklist of group {id}")
        );
    }
    let r = app.put(&kind.at(&id, ""), json!({"maxusers": 3})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kind.add(&app, &id, "cat").await.status, 200);
    let d = assert_error(&kind.add(&app, &id, "dan").await, 403, "forbidden_op");
    assert_eq!(d, "members size is greater than max user size !");
    assert_eq!(kind.members(&app, &id).await, ["olga", "amy", "cat"]);
}
both_kinds!(adding_one_member_refuses_unknowns_members_blocked_users_and_a_full_room);

async fn a_user_at_the_per_user_join_limit_cannot_join_another_room(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| kind.limit_joins(s, 2)).await;
    app.register(&["olga", "amy", "bob"]).await;
    kind.room(&app, "olga", &["amy"]).await;
    kind.room(&app, "bob", &["amy"]).await;
    let third = kind.room(&app, "bob", &[]).await;
    let d = assert_error(&kind.add(&app, &third, "amy").await, 403, "forbidden_op");
    assert_eq!(d, kind.too_many("amy"));
    // The batch form refuses the same user.
    let d = assert_error(
        &kind.add_batch(&app, &third, json!(["amy"])).await,
        403,
        "forbidden_op",
    );
    assert!(
        d.contains(&format!("amy has joined too many {}", kind.plural)),
        "{d}"
    );
    assert_eq!(kind.members(&app, &third).await, ["bob"]);
    let joined = kind.joined(&app, "amy").await;
    assert_eq!(joined.len(), 2);
    // Leaving one room frees a place.
    let r = kind.remove(&app, &joined[0], "amy").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kind.add(&app, &third, "amy").await.status, 200);
}
both_kinds!(a_user_at_the_per_user_join_limit_cannot_join_another_room);

// ---- add batch ----

async fn a_batch_add_answers_only_the_names_it_added(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    app.register(&["bob", "cat"]).await;
    let r = kind
        .add_batch(&app, &id, json!(["amy", "BOB", "cat", "bob"]))
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["data"]["action"], "add_member");
    assert_eq!(b["data"][kind.id_key], id.as_str());
    assert_eq!(b["data"].as_object().unwrap().len(), 3, "{b}");
    let mut added = strings(&b["data"]["newmembers"]);
    added.sort();
    assert_eq!(added, ["bob", "cat"]);
    assert_eq!(kind.count(&app, &id).await, 4);
    // Everyone already a member is an error.
    let d = assert_error(
        &kind.add_batch(&app, &id, json!(["amy", "bob"])).await,
        kind.refused,
        "forbidden_op",
    );
    if kind.is_group() {
        assert!(
            d.starts_with("can not join this group, reason:user: "),
            "{d}"
        );
    }
    assert_eq!(kind.count(&app, &id).await, 4);
}
both_kinds!(a_batch_add_answers_only_the_names_it_added);

async fn a_batch_add_of_more_than_60_or_of_nobody_is_invalid_parameter(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    let names = many("u", 61);
    app.register(&refs(&names)).await;
    let d = assert_error(
        &kind.add_batch(&app, &id, json!(names)).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "addMembers: addMembers number more than maxSize : 60");
    let d = assert_error(
        &kind.add_batch(&app, &id, json!([])).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "usernames must be provided");
    assert_error(
        &app.post(&kind.at(&id, "/users"), json!({})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(kind.count(&app, &id).await, 1);
    // Exactly 60 is fine.
    let r = kind.add_batch(&app, &id, json!(names[..60])).await;
    let added = &assert_envelope(&r, "post")["data"]["newmembers"];
    assert_eq!(added.as_array().unwrap().len(), 60);
    assert_eq!(kind.count(&app, &id).await, 61);
}
both_kinds!(a_batch_add_of_more_than_60_or_of_nobody_is_invalid_parameter);

async fn the_batch_limits_follow_the_configured_batch_add(kind: Kind, pool: PgPool) {
    // Chatrooms have a batch remove limit of their own; it is set to the same here.
    let app = TestApp::spawn_with(pool, |s| {
        s.limits.batch_add = 3;
        s.limits.chatroom_batch_remove = 3;
    })
    .await;
    let id = kind.setup(&app, "olga", &["a1", "a2", "a3", "a4"]).await;
    let d = assert_error(
        &kind
            .add_batch(&app, &id, json!(["x1", "x2", "x3", "x4"]))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "addMembers: addMembers number more than maxSize : 3");
    let d = assert_error(
        &kind.remove(&app, &id, "a1,a2,a3,a4").await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "kickMember: kickMembers number more than maxSize : 3");
    let r = kind
        .mute_for(&app, &id, &["a1", "a2", "a3", "a4"], json!(-1))
        .await;
    assert_error(&r, 400, "invalid_parameter");
    assert_eq!(kind.count(&app, &id).await, 5);
}
both_kinds!(the_batch_limits_follow_the_configured_batch_add);

async fn a_batch_with_an_unknown_or_blocked_user_or_too_many_for_the_room_adds_nobody(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["bad"]).await;
    app.register(&["amy", "bob", "cat"]).await;
    let d = assert_error(
        &kind.add_batch(&app, &id, json!(["amy", "ghost"])).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let r = kind.block(&app, &id, "bad").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(
        &kind.add_batch(&app, &id, json!(["amy", "bad"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(kind.members(&app, &id).await, ["olga"]);
    let r = app.put(&kind.at(&id, ""), json!({"maxusers": 3})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = assert_error(
        &kind
            .add_batch(&app, &id, json!(["amy", "bob", "cat"]))
            .await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "members size is greater than max user size !");
    assert_eq!(kind.members(&app, &id).await, ["olga"]);
    // Two fit.
    let r = kind.add_batch(&app, &id, json!(["amy", "bob"])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kind.count(&app, &id).await, 3);
}
both_kinds!(a_batch_with_an_unknown_or_blocked_user_or_too_many_for_the_room_adds_nobody);

// ---- remove ----

async fn removing_one_member_answers_the_documented_data_and_refuses_the_rest(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    let r = kind.remove(&app, &id, "AMY").await;
    let mut want = json!({"result": true, "action": "remove_member", "user": "amy"});
    want[kind.id_key] = json!(id);
    assert_eq!(assert_envelope(&r, "delete")["data"], want);
    assert_eq!(kind.members(&app, &id).await, ["olga", "bob"]);
    for u in ["cat", "amy"] {
        assert_refusal(
            &kind.remove(&app, &id, u).await,
            kind.refused,
            FORBIDDEN,
            format!("users [{u}] are not members of this group!"),
        );
    }
    assert_no_ghost(&kind.remove(&app, &id, "ghost").await);
    assert_refusal(
        &kind.remove(&app, &id, "olga").await,
        403,
        FORBIDDEN,
        "forbidden operation on group owner!",
    );
    assert_no_room(&kind.remove(&app, "999999", "bob").await, "999999");
    assert_eq!(kind.count(&app, &id).await, 2);
}
both_kinds!(removing_one_member_answers_the_documented_data_and_refuses_the_rest);

async fn a_batch_remove_answers_a_result_and_reason_per_user(kind: Kind, pool: PgPool) {
    let (app, id) = kind
        .start(pool, "olga", &["amy", "bob", "dan", "eve"])
        .await;
    app.register(&["cat"]).await;
    let r = kind.remove(&app, &id, "amy,BOB,cat,olga,ghost").await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(data.as_array().unwrap().len(), 5, "{data}");
    for u in ["amy", "bob"] {
        let mut want = json!({"result": true, "action": "remove_member", "user": u});
        want[kind.id_key] = json!(id);
        assert_eq!(*entry(data, u), want);
    }
    let mut want = json!({"result": false, "action": "remove_member",
                          "reason": format!("user: cat doesn't exist in group: {id}"),
                          "user": "cat"});
    want[kind.id_key] = json!(id);
    assert_eq!(*entry(data, "cat"), want);
    assert_eq!(entry(data, "olga")["result"], false);
    assert_eq!(
        entry(data, "olga")["reason"],
        "forbidden operation on group owner!"
    );
    assert_eq!(entry(data, "ghost")["result"], false);
    let ghost = if kind.is_group() {
        "user ghost doesn't exist.".to_owned()
    } else {
        format!("user: ghost doesn't exist in group: {id}")
    };
    assert_eq!(entry(data, "ghost")["reason"], ghost);
    assert_eq!(kind.members(&app, &id).await, ["olga", "dan", "eve"]);
    // The encoded comma works the same.
    let r = kind.remove(&app, &id, "dan%2Ceve").await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(entry(data, "dan")["result"], true);
    assert_eq!(entry(data, "eve")["result"], true);
    assert_eq!(kind.members(&app, &id).await, ["olga"]);
}
both_kinds!(a_batch_remove_answers_a_result_and_reason_per_user);

async fn a_batch_remove_of_non_members_or_of_too_many(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let limit = kind.batch_remove;
    let names = many("u", limit + 1);
    let id = kind.setup(&app, "olga", &["amy"]).await;
    app.register(&refs(&names)).await;
    let r = kind.remove(&app, &id, "u1,u2").await;
    if kind.is_group() {
        assert_refusal(
            &r,
            403,
            FORBIDDEN,
            "users [u1, u2] are not members of this group!",
        );
    } else {
        // A chatroom answers a result per user even when none of them is a member.
        let data = &assert_envelope(&r, "delete")["data"];
        assert_eq!(entry(data, "u1")["result"], false);
        assert_eq!(entry(data, "u2")["result"], false);
    }
    assert_eq!(
        kind.add_batch(&app, &id, json!(names[..60])).await.status,
        200
    );
    assert_refusal(
        &kind.remove(&app, &id, &names.join(",")).await,
        400,
        "invalid_parameter",
        format!("kickMember: kickMembers number more than maxSize : {limit}"),
    );
    assert_eq!(kind.count(&app, &id).await, 62);
    // The limit itself is fine: the 60 members go, the others are reported as no members.
    let r = kind.remove(&app, &id, &names[..limit].join(",")).await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(data.as_array().unwrap().len(), limit);
    for (i, u) in names[..limit].iter().enumerate() {
        assert_eq!(entry(data, u)["result"], i < 60, "{u}");
    }
    assert_eq!(kind.members(&app, &id).await, ["olga", "amy"]);
}
both_kinds!(a_batch_remove_of_non_members_or_of_too_many);

async fn removing_a_member_drops_its_role_mute_whitelist_and_attributes(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    let mut calls = vec![
        kind.make_admin(&app, &id, "amy").await,
        kind.mute_for(&app, &id, &["amy"], json!(-1)).await,
        post_empty(&app, &kind.at(&id, "/white/users/amy")).await,
    ];
    if kind.is_group() {
        calls.push(set_attrs(&app, &id, "amy", json!({"nick": "A"})).await);
    }
    for r in calls {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(kind.lists(&app, &id).await, [1, 1, 1]);
    let r = kind.remove(&app, &id, "amy").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kind.lists(&app, &id).await, [0, 0, 0]);
    // Coming back restores none of them.
    assert_eq!(kind.add(&app, &id, "amy").await.status, 200);
    assert_eq!(kind.lists(&app, &id).await, [0, 0, 0]);
    if kind.is_group() {
        let r = get_attrs(&app, &id, "amy").await;
        assert_eq!(assert_envelope(&r, "get")["data"], json!({}));
    }
}
both_kinds!(removing_a_member_drops_its_role_mute_whitelist_and_attributes);
