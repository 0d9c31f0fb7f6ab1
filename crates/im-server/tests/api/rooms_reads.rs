//! Room reads and URL forms, for chatrooms and groups alike: details of one or several rooms,
//! the announcement, the `/app-id/` form, unknown ids and tokens (docs-groups-contract.md §0,
//! §6, §9).

use crate::helpers::*;
use crate::kinds::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

// ---- list ----

/// Creates `n` rooms named `r0`… with this owner and members; answers their ids in the order the
/// list of rooms shows them: groups newest first, chatrooms oldest first.
async fn rooms_in_list_order(kind: Kind, app: &TestApp, n: usize, members: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            kind.create(app, kind.body(&format!("r{i}"), "olga", members))
                .await,
        );
    }
    if kind.is_group() {
        ids.reverse();
    }
    ids
}

async fn listing_rooms_pages_with_a_cursor_to_the_end(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let ids = rooms_in_list_order(kind, &app, 5, &["amy"]).await;
    // A room of the other kind is never listed.
    kind.other().room(&app, "olga", &[]).await;
    let r = app.get(&kind.path("?limit=2")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 2);
    assert_eq!(b["params"], json!({"limit": ["2"]}));
    let first = &b["data"][0];
    if kind.is_group() {
        assert_eq!(first["owner"], "acme#chat_olga");
        assert_eq!(first["groupid"], ids[0].as_str());
        assert_eq!(first["affiliations"], 2);
        assert_eq!(first["type"], "group");
        assert_eq!(first["groupname"], "r4");
        let modified: i64 = first["last_modified"].as_str().unwrap().parse().unwrap();
        assert!((now_ms() - modified).abs() < 60_000, "{modified}");
        assert_eq!(first.as_object().unwrap().len(), 6, "{first}");
    } else {
        assert_eq!(
            *first,
            json!({"id": ids[0], "name": "r0", "owner": "olga", "affiliations_count": 2})
        );
    }
    let (pages, seen) = walk_cursor(&app, &kind.path("?limit=2"), Some(kind.id_key)).await;
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
    // Everything fits the default page and the largest, with no cursor; limits are clamped.
    for all in ["", "?limit=5000"] {
        let r = app.get(&kind.path(all)).await;
        assert_eq!(r.body["count"], 5, "{all}");
        assert!(r.body.get("cursor").is_none(), "{}", r.body);
    }
    assert_eq!(app.get(&kind.path("?limit=0")).await.body["count"], 1);
    let r = app.get(&kind.path("?cursor=bogus")).await;
    assert_error(&r, 400, "invalid_parameter");
}
both_kinds!(listing_rooms_pages_with_a_cursor_to_the_end);

async fn listing_rooms_without_parameters_answers_10_and_a_cursor(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let ids = rooms_in_list_order(kind, &app, 11, &[]).await;
    let r = app.get(&kind.path("")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 10);
    assert_eq!(ids_of(&b["data"], kind.id_key), ids[..10]);
    let cursor = b["cursor"].as_str().unwrap().to_owned();
    let r = app.get(&kind.path(&format!("?cursor={cursor}"))).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(ids_of(&b["data"], kind.id_key), ids[10..]);
    assert!(b.get("cursor").is_none(), "{b}");
    // An empty value is as good as none.
    let r = app.get(&kind.path("?cursor=&limit=")).await;
    assert_eq!(r.body["count"], 10, "{}", r.body);
}
both_kinds!(listing_rooms_without_parameters_answers_10_and_a_cursor);

async fn the_rooms_of_an_unknown_user_are_404_and_of_a_loner_none(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["loner"]).await;
    let paths: &[&str] = if kind.is_group() {
        &[
            "/chatgroups/users/{}",
            "/chatgroups/user/{}",
            "/users/{}/joined_chatgroups",
        ]
    } else {
        &["/users/{}/joined_chatrooms"]
    };
    for p in paths {
        assert_no_ghost(&app.get(&p.replace("{}", "ghost")).await);
        let r = app.get(&p.replace("{}", "loner")).await;
        let b = assert_envelope(&r, "get");
        assert_eq!(b["data"], json!([]), "{p}");
        if kind.is_group() {
            assert_eq!((&b["entities"], &b["total"]), (&json!([]), &json!(0)));
        } else {
            assert_eq!(b["count"], 0);
        }
    }
}
both_kinds!(the_rooms_of_an_unknown_user_are_404_and_of_a_loner_none);

/// A page of a user's rooms in the back half of the list is counted from the oldest join: every
/// page number, at every page size, must still cut the newest-first list, also after the user
/// left some rooms.
async fn every_page_of_a_users_rooms_cuts_the_same_list_from_either_end(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "busy"]).await;
    let mut ids = Vec::new();
    for _ in 0..13 {
        ids.push(kind.room(&app, "olga", &["busy"]).await);
    }
    for gone in [ids.remove(4), ids.remove(9)] {
        assert_eq!(kind.remove(&app, &gone, "busy").await.status, 200);
    }
    ids.reverse();
    let page = |pagenum: usize, size: usize| {
        let app = &app;
        async move {
            let (path, key, list) = if kind.is_group() {
                ("/chatgroups/users/busy", "groupId", "entities")
            } else {
                ("/users/busy/joined_chatrooms", "id", "data")
            };
            let r = app
                .get(&format!("{path}?pagenum={pagenum}&pagesize={size}"))
                .await;
            ids_of(&assert_envelope(&r, "get")[list], key)
        }
    };
    assert_eq!(page(1, 20).await, ids);
    for size in [1, 2, 4, 7, 11] {
        let mut cut = Vec::new();
        for pagenum in 1..=ids.len().div_ceil(size) + 1 {
            let got = page(pagenum, size).await;
            let want = &ids[((pagenum - 1) * size).min(ids.len())..(pagenum * size).min(ids.len())];
            assert_eq!(got, want, "pagenum {pagenum}, pagesize {size}");
            cut.extend(got);
        }
        assert_eq!(cut, ids, "pagesize {size}");
    }
}
both_kinds!(every_page_of_a_users_rooms_cuts_the_same_list_from_either_end);

// ---- details ----

async fn details_show_the_first_members_up_to_the_configured_number(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.details_affiliations = 3).await;
    let id = kind
        .setup(&app, "olga", &["zed", "amy", "kim", "bob"])
        .await;
    let small = kind.setup(&app, "ann", &["cy"]).await;
    let first = json!([{"owner": "olga"}, {"member": "zed"}, {"member": "amy"}]);
    // One id, and the same rooms among several ids (a statement of their own).
    let one = kind.details(&app, &id).await;
    assert_eq!(one["affiliations"], first);
    assert_eq!(one["affiliations_count"], 5);
    let r = app.get(&kind.path(&format!("/{small},{id}"))).await;
    let data = assert_envelope(&r, "get")["data"].clone();
    assert_eq!(
        data[0]["affiliations"],
        json!([{"owner": "ann"}, {"member": "cy"}])
    );
    assert_eq!(data[1]["affiliations"], first);
    assert_eq!(data[1]["affiliations_count"], 5);
}
both_kinds!(details_show_the_first_members_up_to_the_configured_number);

async fn details_of_several_ids_accept_a_raw_or_encoded_comma(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let mut body = kind.body("a", "olga", &[]);
    body["description"] = json!("da");
    body["custom"] = json!("ca");
    body["maxusers"] = json!(10);
    if kind.is_group() {
        body["public"] = json!(false);
        body["membersonly"] = json!(true);
    }
    let a = kind.create(&app, body).await;
    let b = kind.room(&app, "amy", &["bob", "olga"]).await;
    assert_eq!(post_empty(&app, &kind.at(&a, "/ban")).await.status, 200);
    for sep in [",", "%2C", "%2c"] {
        let r = app.get(&kind.path(&format!("/{a}{sep}{b}"))).await;
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
        assert_eq!(da["mute"], true);
        if kind.is_group() {
            assert_eq!(
                (&da["public"], &da["membersonly"], &da["disabled"]),
                (&json!(false), &json!(true), &json!(false))
            );
        }
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
both_kinds!(details_of_several_ids_accept_a_raw_or_encoded_comma);

async fn a_missing_id_among_several_is_reported_in_place_and_all_missing_is_404(
    kind: Kind,
    pool: PgPool,
) {
    let (app, a) = kind.start(pool, "olga", &[]).await;
    let r = app.get(&kind.at(&a, ",999999")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1);
    let data = b["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["id"], a.as_str());
    assert_eq!(data[0]["owner"], "olga");
    assert_eq!(
        data[1],
        json!({"id": "999999", "error": format!("{} id doesn't exist", kind.noun)})
    );
    assert_refusal(
        &app.get(&kind.path("/999999")).await,
        404,
        "service_resource_not_found",
        "do not find this group:999999",
    );
    assert_error(
        &app.get(&kind.path("/999998,999999")).await,
        404,
        "service_resource_not_found",
    );
}
both_kinds!(a_missing_id_among_several_is_reported_in_place_and_all_missing_is_404);

async fn details_take_at_most_100_ids(kind: Kind, pool: PgPool) {
    let (app, a) = kind.start(pool, "olga", &[]).await;
    let mut ids: Vec<String> = (0..99).map(|i| format!("{}", 900_000 + i)).collect();
    ids.push(a.clone());
    let r = app.get(&kind.path(&format!("/{}", ids.join(",")))).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1);
    assert_eq!(b["data"].as_array().unwrap().len(), 100);
    ids.push("900999".into());
    assert_error(
        &app.get(&kind.path(&format!("/{}", ids.join(",")))).await,
        400,
        "invalid_parameter",
    );
}
both_kinds!(details_take_at_most_100_ids);

async fn affiliations_list_the_owner_then_everyone_in_join_order(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "zoe", &["mia", "nat"]).await;
    app.register(&["bea"]).await;
    let r = kind.add(&app, &id, "bea").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = kind.make_admin(&app, &id, "nat").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = kind.details(&app, &id).await;
    assert_eq!(
        d["affiliations"],
        json!([{"owner": "zoe"}, {"member": "mia"}, {"member": "nat"}, {"member": "bea"}])
    );
    assert_eq!(d["affiliations_count"], 4);
}
both_kinds!(affiliations_list_the_owner_then_everyone_in_join_order);

// ---- announcement ----

async fn the_announcement_is_empty_until_set_and_bounded_to_512_characters(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    let path = kind.at(&id, "/announcement");
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
    assert_refusal(
        &app.post(&path, json!({"announcement": "a".repeat(513)}))
            .await,
        403,
        FORBIDDEN,
        "announce info length exceeds limit!",
    );
    assert_refusal(
        &app.post(&path, json!({})).await,
        400,
        "invalid_parameter",
        "announcement must be provided",
    );
    assert_eq!(
        app.get(&path).await.body["data"]["announcement"],
        "群组公告…"
    );
    // 512 characters (1024 bytes) is allowed.
    let long = "é".repeat(512);
    assert_eq!(
        app.post(&path, json!({"announcement": long})).await.status,
        200
    );
    assert_eq!(app.get(&path).await.body["data"]["announcement"], long);
    for r in [
        app.get(&kind.path("/999999/announcement")).await,
        app.post(
            &kind.path("/999999/announcement"),
            json!({"announcement": "x"}),
        )
        .await,
    ] {
        assert_no_room(&r, "999999");
    }
}
both_kinds!(the_announcement_is_empty_until_set_and_bounded_to_512_characters);

// ---- URL forms, unknown rooms, tokens ----

async fn the_app_id_url_form_serves_the_same_rooms(kind: Kind, pool: PgPool) {
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
        kind.path(""),
        Some(kind.body("byid", "olga", &[])),
    )
    .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["path"], kind.path(""));
    assert_eq!(b["organization"], "acme");
    let id = b["data"][kind.id_key].as_str().unwrap().to_owned();
    let r = call(Method::POST, kind.at(&id, "/users/amy"), None).await;
    assert_eq!(assert_envelope(&r, "post")["data"]["result"], true);
    let r = call(Method::GET, kind.at(&id, ""), None).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["data"][0]["name"], "byid");
    assert_eq!(b["data"][0]["affiliations_count"], 2);
    let r = call(Method::GET, kind.at(&id, "/users"), None).await;
    assert_eq!(
        assert_envelope(&r, "get")["data"],
        json!([{"owner": "olga"}, {"member": "amy"}])
    );
    // The org/app form sees the same room.
    assert_eq!(kind.members(&app, &id).await, ["olga", "amy"]);
    // And a request without a token on the app-id form is 401 as well.
    let r = app
        .raw(
            Method::GET,
            &format!("{base}{}", kind.at(&id, "")),
            None,
            None,
        )
        .await;
    assert_error(&r, 401, "unauthorized");
}
both_kinds!(the_app_id_url_form_serves_the_same_rooms);

async fn an_unknown_id_or_one_of_the_other_kind_is_an_unknown_room(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let other = kind.other().room(&app, "olga", &[]).await;
    let id = kind.room(&app, "olga", &[]).await;
    for bad in [
        other.as_str(),
        "abc",
        "12x",
        "424242",
        "99999999999999999999999",
    ] {
        for r in [
            app.get(&kind.at(bad, "")).await,
            app.get(&kind.at(bad, "/users")).await,
        ] {
            assert_refusal(
                &r,
                404,
                "service_resource_not_found",
                format!("do not find this group:{bad}"),
            );
        }
        let mut writes = vec![
            kind.add(&app, bad, "amy").await,
            app.put(&kind.at(bad, ""), json!({"name": "x"})).await,
            app.delete(&kind.at(bad, "")).await,
            app.get(&kind.at(bad, "/admin")).await,
        ];
        if kind.is_group() {
            writes.push(post_empty(&app, &kind.at(bad, "/disable")).await);
        }
        for r in writes {
            assert_no_room(&r, bad);
        }
    }
    // The room of the other kind is untouched, and this one is no room of the other kind.
    assert_eq!(kind.other().count(&app, &other).await, 1);
    assert_error(
        &app.get(&kind.other().at(&id, "")).await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(kind.total(&app).await, 1);
}
both_kinds!(an_unknown_id_or_one_of_the_other_kind_is_an_unknown_room);

async fn every_room_endpoint_needs_an_app_token(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    app.register(&["bob"]).await;
    let r = |p: &str| kind.at(&id, p);
    let mut calls = vec![
        (Method::POST, kind.path("")),
        (Method::GET, kind.path("")),
        (Method::GET, r("")),
        (Method::PUT, r("")),
        (Method::DELETE, r("")),
        (Method::GET, r("/users")),
        (Method::POST, r("/users")),
        (Method::POST, r("/users/bob")),
        (Method::DELETE, r("/users/amy")),
        (Method::DELETE, r("/users/amy,bob")),
        (Method::GET, r("/admin")),
        (Method::POST, r("/admin")),
        (Method::DELETE, r("/admin/amy")),
        (Method::GET, r("/mute")),
        (Method::POST, r("/mute")),
        (Method::DELETE, r("/mute/amy")),
        (Method::GET, r("/blocks/users")),
        (Method::POST, r("/blocks/users")),
        (Method::POST, r("/blocks/users/amy")),
        (Method::DELETE, r("/blocks/users/amy")),
        (Method::GET, r("/white/users")),
        (Method::POST, r("/white/users")),
        (Method::POST, r("/white/users/amy")),
        (Method::DELETE, r("/white/users/amy")),
        (Method::POST, r("/ban")),
        (Method::DELETE, r("/ban")),
        (Method::GET, r("/announcement")),
        (Method::POST, r("/announcement")),
    ];
    if kind.is_group() {
        let md = |p: &str| format!("/metadata/chatgroup/{id}{p}");
        calls.extend([
            (Method::GET, "/chatgroups/users/amy".to_owned()),
            (Method::GET, "/chatgroups/user/amy".to_owned()),
            (Method::GET, "/users/amy/joined_chatgroups".to_owned()),
            (Method::POST, r("/disable")),
            (Method::POST, r("/enable")),
            (Method::POST, r("/user/amy/is_joined")),
            (Method::GET, r("/user/amy/is_joined")),
            (Method::PUT, md("/user/amy")),
            (Method::GET, md("/user/amy")),
            (Method::POST, md("/get")),
        ]);
    } else {
        calls.extend([
            (Method::GET, "/users/amy/joined_chatrooms".to_owned()),
            (Method::GET, "/chatrooms/super_admin".to_owned()),
            (Method::POST, "/chatrooms/super_admin".to_owned()),
            (Method::DELETE, "/chatrooms/super_admin/amy".to_owned()),
        ]);
    }
    let mut body = kind.body("x", "olga", &[]);
    for (k, v) in json!({"usernames": ["bob"], "newadmin": "amy", "newowner": "amy",
                         "superadmin": "amy", "mute_duration": -1, "announcement": "x",
                         "metaData": {"k": "v"}, "targets": ["amy"]})
    .as_object()
    .unwrap()
    {
        body[k] = v.clone();
    }
    for (m, p) in calls {
        let reply = app
            .raw(m.clone(), &app.path(&p), None, Some(body.clone()))
            .await;
        assert_eq!(reply.status, 401, "{m} {p}: {}", reply.body);
        assert_error(&reply, 401, "unauthorized");
    }
    // Nothing changed.
    let d = kind.details(&app, &id).await;
    assert_eq!(d["affiliations_count"], 2);
    assert_eq!(d["name"], kind.room_name());
    assert_eq!(d["owner"], "olga");
    assert_eq!(d["mute"], false);
    if kind.is_group() {
        assert_eq!(d["disabled"], false);
    }
    assert_eq!(kind.total(&app).await, 1);
}
both_kinds!(every_room_endpoint_needs_an_app_token);
