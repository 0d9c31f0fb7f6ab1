//! Group reads only groups have: the groups of a user and is_joined (docs-groups-contract.md §6,
//! §7). The list, details, announcement, URL forms, unknown ids and tokens, shared with
//! chatrooms, are tested in `rooms_reads.rs`.

use crate::groups::*;
use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

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

// ---- URL forms, unknown groups, tokens ----
