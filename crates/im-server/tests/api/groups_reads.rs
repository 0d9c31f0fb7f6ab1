//! Group reads and URL forms: the group list, a user's groups, is_joined, details, the
//! announcement, the `/app-id/` form, unknown ids and tokens (docs-groups-contract.md §0, §5–§9).

use crate::groups::*;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

// ---- list ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn listing_groups_pages_newest_first_with_a_cursor_to_the_end(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut b = group_body("olga", &["amy"]);
        b["groupname"] = json!(format!("g{i}"));
        ids.push(create_group(&app, b).await);
    }
    // A chatroom is never listed among groups.
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "owner": "olga"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    ids.reverse();
    let r = app.get("/chatgroups?limit=2").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 2);
    assert_eq!(b["params"], json!({"limit": ["2"]}));
    let first = &b["data"][0];
    assert_eq!(first["owner"], "acme#chat_olga");
    assert_eq!(first["groupid"], ids[0].as_str());
    assert_eq!(first["affiliations"], 2);
    assert_eq!(first["type"], "group");
    assert_eq!(first["groupname"], "g4");
    let modified: i64 = first["last_modified"].as_str().unwrap().parse().unwrap();
    assert!((now_ms() - modified).abs() < 60_000, "{modified}");
    assert_eq!(first.as_object().unwrap().len(), 6, "{first}");
    let mut seen = ids_of(&b["data"], "groupid");
    let mut cursor = b["cursor"].as_str().unwrap().to_owned();
    let mut pages = 1;
    loop {
        let r = app
            .get(&format!("/chatgroups?limit=2&cursor={cursor}"))
            .await;
        let b = assert_envelope(&r, "get");
        pages += 1;
        let data = b["data"].as_array().unwrap();
        assert_eq!(b["count"], data.len());
        seen.extend(ids_of(&b["data"], "groupid"));
        match b.get("cursor") {
            Some(c) => cursor = c.as_str().unwrap().to_owned(),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
    assert_eq!(app.get("/chatgroups?limit=0").await.body["count"], 1);
    let r = app.get("/chatgroups?limit=5000").await;
    assert_eq!(r.body["count"], 5);
    assert!(r.body.get("cursor").is_none(), "{}", r.body);
    assert_error(
        &app.get("/chatgroups?cursor=bogus").await,
        400,
        "invalid_parameter",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn listing_groups_without_parameters_answers_the_newest_10_and_a_cursor(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let mut ids = Vec::new();
    for _ in 0..11 {
        ids.push(group(&app, "olga", &[]).await);
    }
    ids.reverse();
    let r = app.get("/chatgroups").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 10);
    assert_eq!(ids_of(&b["data"], "groupid"), ids[..10]);
    let cursor = b["cursor"].as_str().unwrap().to_owned();
    let r = app.get(&format!("/chatgroups?cursor={cursor}")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(ids_of(&b["data"], "groupid"), ids[10..]);
    assert!(b.get("cursor").is_none(), "{b}");
    // An empty value is as good as none.
    let r = app.get("/chatgroups?cursor=&limit=").await;
    assert_eq!(r.body["count"], 10, "{}", r.body);
}

// ---- the groups of a user ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_groups_of_a_user_come_in_entities_with_a_total_newest_join_first(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let mut made = Vec::new();
    for name in ["one", "two", "three"] {
        let mut b = group_body("olga", &[]);
        b["groupname"] = json!(name);
        b["description"] = json!(format!("about {name}"));
        made.push(create_group(&app, b).await);
    }
    let (g1, g2, g3) = (&made[0], &made[1], &made[2]);
    for id in [g2, g3, g1] {
        assert_eq!(add(&app, id, "amy").await.status, 200);
    }
    let r = app
        .put(&format!("/chatgroups/{g1}"), json!({"membersonly": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let want = [g1.as_str(), g3.as_str(), g2.as_str()];
    for path in [
        "/chatgroups/users/AMY",
        "/chatgroups/user/amy",
        "/users/amy/joined_chatgroups",
    ] {
        let r = app.get(path).await;
        let b = assert_envelope(&r, "get");
        assert_eq!(b["total"], 3, "{path}");
        assert_eq!(ids_of(&b["entities"], "groupId"), want, "{path}");
        assert_eq!(ids_of(&b["entities"], "id"), want, "{path}");
        assert_eq!(ids_of(&b["data"], "groupid"), want, "{path}");
        assert_eq!(
            b["data"][0],
            json!({"groupid": g1, "groupname": "one"}),
            "{path}"
        );
        let e = &b["entities"][0];
        let created = e["created"].as_i64().unwrap();
        assert!((now_ms() - created).abs() < 60_000, "{e}");
        assert_eq!(
            *e,
            json!({"name": "one", "owner": "olga", "id": g1, "groupId": g1,
                   "description": "about one", "disabled": false, "public": true,
                   "allowinvites": false, "membersonly": true, "maxusers": 2000,
                   "created": created}),
            "{path}"
        );
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_groups_of_a_user_page_by_pagenum_and_pagesize_up_to_20(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["busy"]).await;
    let mut ids = Vec::new();
    for _ in 0..25 {
        ids.push(group(&app, "busy", &[]).await);
    }
    ids.reverse();
    let page = |q: &'static str| {
        let app = &app;
        async move {
            let r = app.get(&format!("/chatgroups/users/busy{q}")).await;
            let b = assert_envelope(&r, "get").clone();
            assert_eq!(b["total"], 25, "{q}: {b}");
            ids_of(&b["entities"], "groupId")
        }
    };
    assert_eq!(page("").await, ids[..10]);
    assert_eq!(page("?pagenum=2").await, ids[10..20]);
    assert_eq!(page("?pagenum=2&pagesize=3").await, ids[3..6]);
    assert_eq!(page("?pagenum=0&pagesize=3").await, ids[..3]);
    assert_eq!(page("?pagenum=1&pagesize=3").await, ids[..3]);
    assert_eq!(page("?pagesize=50").await, ids[..20]);
    assert_eq!(page("?pagesize=0").await, ids[..1]);
    assert_eq!(page("?pagenum=2&pagesize=20").await, ids[20..]);
    assert!(page("?pagenum=9&pagesize=20").await.is_empty());
    let r = app
        .get("/users/busy/joined_chatgroups?pagenum=3&pagesize=10")
        .await;
    assert_eq!(ids_of(&r.body["entities"], "groupId"), ids[20..]);
    let r = app.get("/chatgroups/user/busy?pagenum=2&pagesize=10").await;
    assert_eq!(ids_of(&r.body["entities"], "groupId"), ids[10..20]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_groups_of_an_unknown_user_are_404_and_of_a_loner_empty(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["loner"]).await;
    for path in [
        "/chatgroups/users/ghost",
        "/chatgroups/user/ghost",
        "/users/ghost/joined_chatgroups",
    ] {
        let d = assert_error(&app.get(path).await, 404, "resource_not_found");
        assert_eq!(d, "username ghost doesn't exist!");
    }
    let r = app.get("/chatgroups/users/loner").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["entities"], json!([]));
    assert_eq!(b["data"], json!([]));
    assert_eq!(b["total"], 0);
}

// ---- is_joined ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn is_joined_answers_a_boolean_by_post_or_get(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    for (m, action) in [(Method::POST, "post"), (Method::GET, "get")] {
        for (user, want) in [("amy", true), ("OLGA", true), ("cat", false)] {
            let r = app
                .call(
                    m.clone(),
                    &format!("/chatgroups/{id}/user/{user}/is_joined"),
                    None,
                )
                .await;
            assert_eq!(assert_envelope(&r, action)["data"], want, "{m} {user}");
        }
        let d = assert_error(
            &app.call(m.clone(), "/chatgroups/999999/user/amy/is_joined", None)
                .await,
            404,
            "resource_not_found",
        );
        assert_eq!(d, "grpID 999999 does not exist!");
        let d = assert_error(
            &app.call(
                m.clone(),
                &format!("/chatgroups/{id}/user/ghost/is_joined"),
                None,
            )
            .await,
            404,
            "resource_not_found",
        );
        assert_eq!(d, "username ghost doesn't exist!");
    }
}

// ---- details ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn details_of_several_ids_accept_a_raw_or_encoded_comma(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let a = create_group(
        &app,
        json!({"groupname": "a", "description": "da", "public": false, "membersonly": true,
               "custom": "ca", "maxusers": 10, "owner": "olga"}),
    )
    .await;
    let b = group(&app, "amy", &["bob", "olga"]).await;
    assert_eq!(
        post_empty(&app, &format!("/chatgroups/{a}/ban"))
            .await
            .status,
        200
    );
    for sep in [",", "%2C", "%2c"] {
        let r = app.get(&format!("/chatgroups/{a}{sep}{b}")).await;
        let body = assert_envelope(&r, "get");
        assert_eq!(body["count"], 2, "{sep}");
        let data = body["data"].as_array().unwrap();
        assert_eq!(data.len(), 2, "{sep}");
        let da = data.iter().find(|d| d["id"] == a.as_str()).unwrap();
        let db = data.iter().find(|d| d["id"] == b.as_str()).unwrap();
        assert_eq!(
            (
                &da["name"],
                &da["description"],
                &da["custom"],
                &da["maxusers"]
            ),
            (&json!("a"), &json!("da"), &json!("ca"), &json!(10))
        );
        assert_eq!(
            (
                &da["public"],
                &da["membersonly"],
                &da["mute"],
                &da["disabled"]
            ),
            (&json!(false), &json!(true), &json!(true), &json!(false))
        );
        assert_eq!(da["affiliations_count"], 1);
        assert_eq!(da["affiliations"], json!([{"owner": "olga"}]));
        assert_eq!(db["mute"], false);
        assert_eq!(db["owner"], "amy");
        assert_eq!(db["affiliations_count"], 3);
        assert_eq!(
            db["affiliations"],
            json!([{"owner": "amy"}, {"member": "bob"}, {"member": "olga"}])
        );
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_missing_id_among_several_is_reported_in_place_and_all_missing_is_404(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let a = setup(&app, "olga", &[]).await;
    let r = app.get(&format!("/chatgroups/{a},999999")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1);
    let data = b["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["id"], a.as_str());
    assert_eq!(data[0]["owner"], "olga");
    assert_eq!(
        data[1],
        json!({"id": "999999", "error": "group id doesn't exist"})
    );
    let d = assert_error(
        &app.get("/chatgroups/999999").await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(d, "do not find this group:999999");
    assert_error(
        &app.get("/chatgroups/999998,999999").await,
        404,
        "service_resource_not_found",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn details_take_at_most_100_ids(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let a = setup(&app, "olga", &[]).await;
    let mut ids: Vec<String> = (0..99).map(|i| format!("{}", 900_000 + i)).collect();
    ids.push(a.clone());
    let r = app.get(&format!("/chatgroups/{}", ids.join(","))).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1);
    assert_eq!(b["data"].as_array().unwrap().len(), 100);
    ids.push("900999".into());
    assert_error(
        &app.get(&format!("/chatgroups/{}", ids.join(","))).await,
        400,
        "invalid_parameter",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn affiliations_list_the_owner_first_then_admins_and_members_in_join_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "zoe", &["mia", "nat"]).await;
    app.register(&["bea"]).await;
    assert_eq!(add(&app, &id, "bea").await.status, 200);
    let r = app
        .post(
            &format!("/chatgroups/{id}/admin"),
            json!({"newadmin": "nat"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = details(&app, &id).await;
    assert_eq!(
        d["affiliations"],
        json!([{"owner": "zoe"}, {"member": "mia"}, {"member": "nat"}, {"member": "bea"}])
    );
    assert_eq!(d["affiliations_count"], 4);
}

// ---- announcement ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_announcement_is_empty_until_set_and_bounded_to_512_characters(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let path = format!("/chatgroups/{id}/announcement");
    let r = app.get(&path).await;
    assert_eq!(
        assert_envelope(&r, "get")["data"],
        json!({"announcement": ""})
    );
    let r = app.post(&path, json!({"announcement": "群组公告…"})).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"id": id, "result": true})
    );
    assert_eq!(
        app.get(&path).await.body["data"],
        json!({"announcement": "群组公告…"})
    );
    let d = assert_error(
        &app.post(&path, json!({"announcement": "a".repeat(513)}))
            .await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "announce info length exceeds limit!");
    let d = assert_error(&app.post(&path, json!({})).await, 400, "invalid_parameter");
    assert_eq!(d, "announcement must be provided");
    assert_eq!(
        app.get(&path).await.body["data"]["announcement"],
        "群组公告…"
    );
    let long = "é".repeat(512);
    assert_eq!(
        app.post(&path, json!({"announcement": long})).await.status,
        200
    );
    assert_eq!(app.get(&path).await.body["data"]["announcement"], long);
    for r in [
        app.get("/chatgroups/999999/announcement").await,
        app.post(
            "/chatgroups/999999/announcement",
            json!({"announcement": "x"}),
        )
        .await,
    ] {
        let d = assert_error(&r, 404, "resource_not_found");
        assert_eq!(d, "grpID 999999 does not exist!");
    }
}

// ---- URL forms, unknown groups, tokens ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_app_id_url_form_serves_the_same_groups(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let base = format!("/app-id/{}", app.creds.app_id);
    let call = |m: Method, p: String, body: Option<Value>| {
        let app = &app;
        let base = base.clone();
        async move {
            app.raw(m, &format!("{base}{p}"), Some(&app.token), body)
                .await
        }
    };
    let r = call(
        Method::POST,
        "/chatgroups".into(),
        Some(group_body("olga", &[])),
    )
    .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["path"], "/chatgroups");
    assert_eq!(b["organization"], "acme");
    let id = b["data"]["groupid"].as_str().unwrap().to_owned();
    let r = call(Method::POST, format!("/chatgroups/{id}/users/amy"), None).await;
    assert_eq!(assert_envelope(&r, "post")["data"]["result"], true);
    let r = call(Method::GET, format!("/chatgroups/{id}"), None).await;
    assert_eq!(
        assert_envelope(&r, "get")["data"][0]["affiliations_count"],
        2
    );
    let r = call(Method::GET, format!("/chatgroups/{id}/users"), None).await;
    assert_eq!(
        assert_envelope(&r, "get")["data"],
        json!([{"owner": "olga"}, {"member": "amy"}])
    );
    let r = call(Method::GET, "/chatgroups/users/amy".into(), None).await;
    assert_eq!(assert_envelope(&r, "get")["total"], 1);
    // The org/app form sees the same group.
    assert_eq!(members(&app, &id).await, ["olga", "amy"]);
    // And a request without a token on the app-id form is 401 as well.
    let r = app
        .raw(Method::GET, &format!("{base}/chatgroups/{id}"), None, None)
        .await;
    assert_error(&r, 401, "unauthorized");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_chatroom_id_or_an_unknown_id_on_a_group_path_is_404(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "owner": "olga"}),
        )
        .await;
    let room = assert_envelope(&r, "post")["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let gid = group(&app, "olga", &[]).await;
    for bad in [room.as_str(), "abc", "424242", "99999999999999999999999"] {
        for r in [
            app.get(&format!("/chatgroups/{bad}")).await,
            app.get(&format!("/chatgroups/{bad}/users")).await,
        ] {
            let d = assert_error(&r, 404, "service_resource_not_found");
            assert_eq!(d, format!("do not find this group:{bad}"));
        }
        for r in [
            add(&app, bad, "amy").await,
            app.put(&format!("/chatgroups/{bad}"), json!({"groupname": "x"}))
                .await,
            app.delete(&format!("/chatgroups/{bad}")).await,
            app.get(&format!("/chatgroups/{bad}/admin")).await,
            post_empty(&app, &format!("/chatgroups/{bad}/disable")).await,
        ] {
            let d = assert_error(&r, 404, "resource_not_found");
            assert_eq!(d, format!("grpID {bad} does not exist!"));
        }
    }
    // Nor is a group a chatroom.
    assert_error(
        &app.get(&format!("/chatrooms/{gid}")).await,
        404,
        "service_resource_not_found",
    );
    assert_error(
        &app.call(Method::POST, &format!("/chatrooms/{gid}/users/amy"), None)
            .await,
        404,
        "resource_not_found",
    );
    // The chatroom is untouched.
    let r = app.get(&format!("/chatrooms/{room}")).await;
    assert_eq!(
        assert_envelope(&r, "get")["data"][0]["affiliations_count"],
        1
    );
    assert_eq!(group_total(&app).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn every_group_endpoint_needs_an_app_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["bob"]).await;
    let g = |p: &str| format!("/chatgroups/{id}{p}");
    let md = |p: &str| format!("/metadata/chatgroup/{id}{p}");
    let calls = [
        (Method::POST, "/chatgroups".to_owned()),
        (Method::GET, "/chatgroups".to_owned()),
        (Method::GET, "/chatgroups/users/amy".to_owned()),
        (Method::GET, "/chatgroups/user/amy".to_owned()),
        (Method::GET, "/users/amy/joined_chatgroups".to_owned()),
        (Method::GET, g("")),
        (Method::PUT, g("")),
        (Method::DELETE, g("")),
        (Method::POST, g("/disable")),
        (Method::POST, g("/enable")),
        (Method::POST, g("/user/amy/is_joined")),
        (Method::GET, g("/user/amy/is_joined")),
        (Method::GET, g("/announcement")),
        (Method::POST, g("/announcement")),
        (Method::GET, g("/users")),
        (Method::POST, g("/users")),
        (Method::POST, g("/users/bob")),
        (Method::DELETE, g("/users/amy")),
        (Method::DELETE, g("/users/amy,bob")),
        (Method::PUT, md("/user/amy")),
        (Method::GET, md("/user/amy")),
        (Method::POST, md("/get")),
        (Method::GET, g("/admin")),
        (Method::POST, g("/admin")),
        (Method::DELETE, g("/admin/amy")),
        (Method::GET, g("/blocks/users")),
        (Method::POST, g("/blocks/users")),
        (Method::POST, g("/blocks/users/amy")),
        (Method::DELETE, g("/blocks/users/amy")),
        (Method::GET, g("/white/users")),
        (Method::POST, g("/white/users")),
        (Method::POST, g("/white/users/amy")),
        (Method::DELETE, g("/white/users/amy")),
        (Method::GET, g("/mute")),
        (Method::POST, g("/mute")),
        (Method::DELETE, g("/mute/amy")),
        (Method::POST, g("/ban")),
        (Method::DELETE, g("/ban")),
    ];
    let body = json!({"groupname": "x", "description": "d", "public": true, "owner": "olga",
                      "usernames": ["bob"], "newadmin": "amy", "newowner": "amy",
                      "mute_duration": -1, "announcement": "x",
                      "metaData": {"k": "v"}, "targets": ["amy"]});
    for (m, p) in calls {
        let reply = app
            .raw(m.clone(), &app.path(&p), None, Some(body.clone()))
            .await;
        assert_eq!(reply.status, 401, "{m} {p}: {}", reply.body);
        assert_error(&reply, 401, "unauthorized");
    }
    // Nothing changed.
    let d = details(&app, &id).await;
    assert_eq!(d["affiliations_count"], 2);
    assert_eq!(d["name"], "group");
    assert_eq!(d["owner"], "olga");
    assert_eq!(d["disabled"], false);
    assert_eq!(group_total(&app).await, 1);
}
