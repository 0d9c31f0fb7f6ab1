//! Group members and admins (docs-groups-contract.md §10, §12).

use crate::groups::*;
use crate::groups_attributes::{get_attrs, set_attrs};
use crate::helpers::*;
use serde_json::json;
use sqlx::PgPool;

async fn make_admin(app: &TestApp, id: &str, user: &str) -> Reply {
    app.post(
        &format!("/chatgroups/{id}/admin"),
        json!({"newadmin": user}),
    )
    .await
}

async fn admins(app: &TestApp, id: &str) -> Vec<String> {
    let r = app.get(&format!("/chatgroups/{id}/admin")).await;
    let b = assert_envelope(&r, "get");
    let list = strings(&b["data"]);
    assert_eq!(b["count"], list.len(), "{b}");
    list
}

/// The lengths of the admin, mute and whitelist lists.
async fn lists(app: &TestApp, id: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for p in ["admin", "mute", "white/users"] {
        let r = app.get(&format!("/chatgroups/{id}/{p}")).await;
        out.push(assert_envelope(&r, "get")["data"].as_array().unwrap().len());
    }
    out
}

// ---- member list ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_member_list_pages_by_pagenum_owner_first_then_join_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let names = ["zed", "amy", "kim", "bob"];
    app.register(&names).await;
    for u in names {
        assert_eq!(add(&app, &id, u).await.status, 200);
    }
    let r = app.get(&format!("/chatgroups/{id}/users")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(
        b["data"],
        json!([{"owner": "olga"}, {"member": "zed"}, {"member": "amy"},
               {"member": "kim"}, {"member": "bob"}])
    );
    assert_eq!(b["count"], 5);
    let r = app
        .get(&format!("/chatgroups/{id}/users?pagenum=2&pagesize=2"))
        .await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["data"], json!([{"member": "amy"}, {"member": "kim"}]));
    assert_eq!(b["count"], 2);
    assert_eq!(b["params"], json!({"pagenum": ["2"], "pagesize": ["2"]}));
    let r = app
        .get(&format!("/chatgroups/{id}/users?pagenum=0&pagesize=2"))
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"owner": "olga"}, {"member": "zed"}])
    );
    let r = app
        .get(&format!("/chatgroups/{id}/users?pagenum=4&pagesize=2"))
        .await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["count"], 0);
    let r = app.get(&format!("/chatgroups/{id}/users?pagesize=0")).await;
    assert_eq!(r.body["data"], json!([{"owner": "olga"}]));
    let d = assert_error(
        &app.get("/chatgroups/999999/users").await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(d, "do not find this group:999999");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_member_list_pages_10_by_default_and_at_most_100(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("m", 105);
    let id = setup(&app, "olga", &refs(&names[..100])).await;
    app.register(&refs(&names[100..])).await;
    assert_eq!(add_batch(&app, &id, json!(names[100..])).await.status, 200);
    let r = app.get(&format!("/chatgroups/{id}/users")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 10);
    assert_eq!(b["data"][0], json!({"owner": "olga"}));
    assert_eq!(b["data"][9], json!({"member": "m8"}));
    let r = app
        .get(&format!("/chatgroups/{id}/users?pagesize=1000"))
        .await;
    assert_eq!(r.body["count"], 100);
    let r = app
        .get(&format!("/chatgroups/{id}/users?pagenum=2&pagesize=100"))
        .await;
    assert_eq!(r.body["count"], 6);
    assert_eq!(r.body["data"][5], json!({"member": "m104"}));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_v3_member_list_walks_a_cursor_to_the_end_without_duplicates(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let names = ["m7", "m2", "m9", "m1", "m5", "m3", "m8"];
    app.register(&names).await;
    for u in names {
        assert_eq!(add(&app, &id, u).await.status, 200);
    }
    let base = format!("/chatgroups/{id}/users?version=v3&limit=3");
    let r = app.get(&base).await;
    let b = assert_envelope(&r, "get");
    let mut seen = strings(&b["data"]);
    assert_eq!(seen.len(), 3);
    assert_eq!(b["count"], 3);
    let mut cursor = b["cursor"].as_str().unwrap().to_owned();
    let mut pages = 1;
    loop {
        let r = app.get(&format!("{base}&cursor={cursor}")).await;
        let b = assert_envelope(&r, "get");
        pages += 1;
        let page = strings(&b["data"]);
        assert!(!page.is_empty(), "{b}");
        seen.extend(page);
        match b.get("cursor") {
            Some(c) => cursor = c.as_str().unwrap().to_owned(),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(pages, 3);
    let mut want = vec!["olga"];
    want.extend(names);
    assert_eq!(seen, want);
    // The default page is 10: everything here, with no cursor.
    let r = app.get(&format!("/chatgroups/{id}/users?version=v3")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(strings(&b["data"]), want);
    assert!(b.get("cursor").is_none(), "{b}");
    assert_error(
        &app.get(&format!("{base}&cursor=bogus")).await,
        400,
        "invalid_parameter",
    );
    assert_error(
        &app.get("/chatgroups/999999/users?version=v3").await,
        404,
        "service_resource_not_found",
    );
}

// ---- add ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn adding_one_member_answers_the_documented_data(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    app.register(&["bob"]).await;
    let r = add(&app, &id, "BOB").await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": true, "groupid": id, "action": "add_member", "user": "bob"})
    );
    assert_eq!(members(&app, &id).await, ["olga", "bob"]);
    assert_eq!(count(&app, &id).await, 2);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn adding_one_member_refuses_unknowns_members_blocked_users_and_a_full_group(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat", "dan"]).await;
    let d = assert_error(&add(&app, "999999", "cat").await, 404, "resource_not_found");
    assert_eq!(d, "grpID 999999 does not exist!");
    let d = assert_error(&add(&app, &id, "ghost").await, 404, "resource_not_found");
    assert_eq!(d, "username ghost doesn't exist!");
    for u in ["amy", "olga"] {
        let d = assert_error(&add(&app, &id, u).await, 403, "forbidden_op");
        assert_eq!(
            d.trim_end(),
            format!("can not join this group, reason:user: {u} already in group: {id}")
        );
    }
    let r = post_empty(&app, &format!("/chatgroups/{id}/blocks/users/bob")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = assert_error(&add(&app, &id, "bob").await, 403, "forbidden_op");
    assert_eq!(
        d,
        format!("can not join this group, reason:user bob is in the blocklist of group {id}")
    );
    let r = app
        .put(&format!("/chatgroups/{id}"), json!({"maxusers": 3}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(add(&app, &id, "cat").await.status, 200);
    let d = assert_error(&add(&app, &id, "dan").await, 403, "forbidden_op");
    assert_eq!(d, "members size is greater than max user size !");
    assert_eq!(members(&app, &id).await, ["olga", "amy", "cat"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_user_at_the_group_limit_cannot_join_another_group(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.groups_per_user = 2).await;
    app.register(&["olga", "amy", "bob"]).await;
    group(&app, "olga", &["amy"]).await;
    group(&app, "bob", &["amy"]).await;
    let third = group(&app, "bob", &[]).await;
    let d = assert_error(&add(&app, &third, "amy").await, 403, "forbidden_op");
    assert_eq!(
        d,
        "can not join this group, reason:user amy has joined too many groups!"
    );
    let d = assert_error(
        &add_batch(&app, &third, json!(["amy"])).await,
        403,
        "forbidden_op",
    );
    assert!(d.contains("amy has joined too many groups"), "{d}");
    assert_eq!(members(&app, &third).await, ["bob"]);
    assert_eq!(app.get("/chatgroups/users/amy").await.body["total"], 2);
    // Leaving one group frees a place.
    let newest = app.get("/chatgroups/users/amy").await.body["entities"][0]["groupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.delete(&format!("/chatgroups/{newest}/users/amy")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(add(&app, &third, "amy").await.status, 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_add_answers_only_the_names_it_added(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["bob", "cat"]).await;
    let r = add_batch(&app, &id, json!(["amy", "BOB", "cat", "bob"])).await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["data"]["action"], "add_member");
    assert_eq!(b["data"]["groupid"], id.as_str());
    assert_eq!(b["data"].as_object().unwrap().len(), 3, "{b}");
    let mut added = strings(&b["data"]["newmembers"]);
    added.sort();
    assert_eq!(added, ["bob", "cat"]);
    assert_eq!(count(&app, &id).await, 4);
    let d = assert_error(
        &add_batch(&app, &id, json!(["amy", "bob"])).await,
        403,
        "forbidden_op",
    );
    assert!(
        d.starts_with("can not join this group, reason:user: "),
        "{d}"
    );
    assert_eq!(count(&app, &id).await, 4);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_add_of_more_than_60_or_of_nobody_is_invalid_parameter(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let names = many("u", 61);
    app.register(&refs(&names)).await;
    let d = assert_error(
        &add_batch(&app, &id, json!(names)).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "addMembers: addMembers number more than maxSize : 60");
    let d = assert_error(
        &add_batch(&app, &id, json!([])).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "usernames must be provided");
    assert_error(
        &app.post(&format!("/chatgroups/{id}/users"), json!({}))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(count(&app, &id).await, 1);
    let r = add_batch(&app, &id, json!(names[..60])).await;
    let added = &assert_envelope(&r, "post")["data"]["newmembers"];
    assert_eq!(added.as_array().unwrap().len(), 60);
    assert_eq!(count(&app, &id).await, 61);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_batch_limit_follows_the_configured_batch_add(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.batch_add = 3).await;
    let id = setup(&app, "olga", &["a1", "a2", "a3", "a4"]).await;
    let d = assert_error(
        &add_batch(&app, &id, json!(["x1", "x2", "x3", "x4"])).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "addMembers: addMembers number more than maxSize : 3");
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}/users/a1,a2,a3,a4"))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "kickMember: kickMembers number more than maxSize : 3");
    let r = app
        .post(
            &format!("/chatgroups/{id}/mute"),
            json!({"usernames": ["a1", "a2", "a3", "a4"], "mute_duration": -1}),
        )
        .await;
    assert_error(&r, 400, "invalid_parameter");
    assert_eq!(count(&app, &id).await, 5);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_with_an_unknown_or_blocked_user_or_too_many_for_the_group_adds_nobody(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["bad"]).await;
    app.register(&["amy", "bob", "cat"]).await;
    let d = assert_error(
        &add_batch(&app, &id, json!(["amy", "ghost"])).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let r = post_empty(&app, &format!("/chatgroups/{id}/blocks/users/bad")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(
        &add_batch(&app, &id, json!(["amy", "bad"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(members(&app, &id).await, ["olga"]);
    let r = app
        .put(&format!("/chatgroups/{id}"), json!({"maxusers": 3}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = assert_error(
        &add_batch(&app, &id, json!(["amy", "bob", "cat"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "members size is greater than max user size !");
    assert_eq!(members(&app, &id).await, ["olga"]);
    assert_eq!(
        add_batch(&app, &id, json!(["amy", "bob"])).await.status,
        200
    );
    assert_eq!(count(&app, &id).await, 3);
}

// ---- remove ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn removing_one_member_answers_the_documented_data_and_refuses_the_rest(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    let r = app.delete(&format!("/chatgroups/{id}/users/AMY")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"result": true, "action": "remove_member", "user": "amy", "groupid": id})
    );
    assert_eq!(members(&app, &id).await, ["olga", "bob"]);
    for u in ["cat", "amy"] {
        let d = assert_error(
            &app.delete(&format!("/chatgroups/{id}/users/{u}")).await,
            403,
            "forbidden_op",
        );
        assert_eq!(d, format!("users [{u}] are not members of this group!"));
    }
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}/users/ghost")).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}/users/olga")).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "forbidden operation on group owner!");
    let d = assert_error(
        &app.delete("/chatgroups/999999/users/bob").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
    assert_eq!(count(&app, &id).await, 2);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_remove_answers_a_result_and_reason_per_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "dan", "eve"]).await;
    app.register(&["cat"]).await;
    let r = app
        .delete(&format!("/chatgroups/{id}/users/amy,BOB,cat,olga,ghost"))
        .await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(data.as_array().unwrap().len(), 5, "{data}");
    for u in ["amy", "bob"] {
        assert_eq!(
            *entry(data, u),
            json!({"result": true, "action": "remove_member", "user": u, "groupid": id})
        );
    }
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "action": "remove_member",
               "reason": format!("user: cat doesn't exist in group: {id}"),
               "user": "cat", "groupid": id})
    );
    assert_eq!(entry(data, "olga")["result"], false);
    assert_eq!(
        entry(data, "olga")["reason"],
        "forbidden operation on group owner!"
    );
    assert_eq!(entry(data, "ghost")["result"], false);
    assert_eq!(entry(data, "ghost")["reason"], "user ghost doesn't exist.");
    assert_eq!(members(&app, &id).await, ["olga", "dan", "eve"]);
    let r = app
        .delete(&format!("/chatgroups/{id}/users/dan%2Ceve"))
        .await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(entry(data, "dan")["result"], true);
    assert_eq!(entry(data, "eve")["result"], true);
    assert_eq!(members(&app, &id).await, ["olga"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_remove_of_only_non_members_is_forbidden_and_of_more_than_60_invalid(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("u", 61);
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&refs(&names)).await;
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}/users/u1,u2")).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "users [u1, u2] are not members of this group!");
    assert_eq!(add_batch(&app, &id, json!(names[..60])).await.status, 200);
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}/users/{}", names.join(",")))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "kickMember: kickMembers number more than maxSize : 60");
    assert_eq!(count(&app, &id).await, 62);
    let r = app
        .delete(&format!("/chatgroups/{id}/users/{}", names[..60].join(",")))
        .await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(data.as_array().unwrap().len(), 60);
    assert!(
        data.as_array().unwrap().iter().all(|e| e["result"] == true),
        "{data}"
    );
    assert_eq!(members(&app, &id).await, ["olga", "amy"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn removing_a_member_drops_its_admin_role_mute_whitelist_entry_and_attributes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let calls = [
        make_admin(&app, &id, "amy").await,
        app.post(
            &format!("/chatgroups/{id}/mute"),
            json!({"usernames": ["amy"], "mute_duration": -1}),
        )
        .await,
        post_empty(&app, &format!("/chatgroups/{id}/white/users/amy")).await,
        set_attrs(&app, &id, "amy", json!({"nick": "A"})).await,
    ];
    for r in calls {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(lists(&app, &id).await, [1, 1, 1]);
    let r = app.delete(&format!("/chatgroups/{id}/users/amy")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(lists(&app, &id).await, [0, 0, 0]);
    // Coming back restores none of them.
    assert_eq!(add(&app, &id, "amy").await.status, 200);
    assert_eq!(lists(&app, &id).await, [0, 0, 0]);
    let r = get_attrs(&app, &id, "amy").await;
    assert_eq!(assert_envelope(&r, "get")["data"], json!({}));
}

// ---- admins ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn admins_are_added_listed_and_removed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let r = make_admin(&app, &id, "AMY").await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": "success", "newadmin": "amy"})
    );
    assert_eq!(make_admin(&app, &id, "bob").await.status, 200);
    assert_eq!(admins(&app, &id).await, ["amy", "bob"]);
    assert_eq!(
        roles(&app, &id).await,
        [
            ("amy".to_owned(), 1),
            ("bob".to_owned(), 1),
            ("olga".to_owned(), 2)
        ]
    );
    let r = app.delete(&format!("/chatgroups/{id}/admin/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"result": "success", "oldadmin": "amy"})
    );
    assert_eq!(admins(&app, &id).await, ["bob"]);
    assert_eq!(count(&app, &id).await, 3);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn adding_or_removing_an_admin_refuses_every_documented_case(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    assert_eq!(make_admin(&app, &id, "amy").await.status, 200);
    let path = format!("/chatgroups/{id}/admin");
    let d = assert_error(&app.post(&path, json!({})).await, 400, "invalid_parameter");
    assert_eq!(d, "newadmin must be provided");
    let d = assert_error(
        &make_admin(&app, &id, "ghost").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(&make_admin(&app, &id, "cat").await, 403, "forbidden_op");
    assert_eq!(d, format!("user: cat doesn't exist in group: {id}"));
    let d = assert_error(&make_admin(&app, &id, "olga").await, 403, "forbidden_op");
    assert_eq!(d, "forbidden operation on group owner!");
    let d = assert_error(&make_admin(&app, &id, "amy").await, 403, "forbidden_op");
    assert_eq!(d, format!("user amy is already an admin of group: {id}"));
    let d = assert_error(
        &app.delete(&format!("{path}/bob")).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, format!("user bob is not an admin of group: {id}"));
    let d = assert_error(
        &app.delete(&format!("{path}/ghost")).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    for r in [
        make_admin(&app, "999999", "amy").await,
        app.get("/chatgroups/999999/admin").await,
        app.delete("/chatgroups/999999/admin/amy").await,
    ] {
        let d = assert_error(&r, 404, "resource_not_found");
        assert_eq!(d, "grpID 999999 does not exist!");
    }
    assert_eq!(admins(&app, &id).await, ["amy"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_group_takes_at_most_99_admins_even_when_promoted_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("a", 100);
    let id = setup(&app, "olga", &refs(&names)).await;
    let replies =
        futures_util::future::join_all(names.iter().map(|u| make_admin(&app, &id, u))).await;
    let mut refused = 0;
    for r in &replies {
        if r.status != 200 {
            let d = assert_error(r, 403, "forbidden_op");
            assert_eq!(d, "the number of admins has reached the limit of 99!");
            refused += 1;
        }
    }
    assert_eq!(refused, 1);
    assert_eq!(admins(&app, &id).await.len(), 99);
    let admin_rows: i64 = sqlx::query_scalar(
        "select count(*) from room_members where room_id = $1::bigint and role = 1",
    )
    .bind(id.parse::<i64>().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(admin_rows, 99);
}
