//! A group's threads (an imserver extension): every thread of one group, whoever is in it.

use crate::helpers::*;
use crate::threads::{create_thread, group_of, walk};
use reqwest::Method;
use sqlx::PgPool;

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_groups_threads_are_listed_in_pages_newest_first_and_no_others(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let group = group_of(&app, "amy", &["bob", "cat"]).await;
    let other = {
        let r = app
            .post(
                "/chatgroups",
                serde_json::json!({"groupname": "o", "description": "d", "public": true, "owner": "bob"}),
            )
            .await;
        r.body["data"]["groupid"].as_str().unwrap().to_owned()
    };
    let mut made = Vec::new();
    for (i, owner) in ["amy", "bob", "cat", "bob", "amy"].iter().enumerate() {
        made.push(create_thread(&app, &group, owner, &format!("t{i}")).await);
    }
    create_thread(&app, &other, "bob", "elsewhere").await;

    let path = format!("/chatgroups/{group}/threads");
    let r = app.get(&format!("{path}?limit=2")).await;
    let b = assert_envelope(&r, "get");
    let first: Vec<&str> = b["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, [made[4].as_str(), made[3].as_str()]);
    assert_eq!(b["entities"][0]["groupId"], group.as_str());
    assert!(b["properties"]["cursor"].is_string(), "{b}");

    let newest_first = walk(&app, &path, "limit=2").await;
    let mut expected = made.clone();
    expected.reverse();
    assert_eq!(newest_first, expected);
    assert_eq!(walk(&app, &path, "limit=3&sort=asc").await, made);

    // The app-id form answers the same.
    let by_id = format!("/app-id/{}/chatgroups/{group}/threads", app.creds.app_id);
    let r = app
        .raw(Method::GET, &by_id, Some(&app.token.clone()), None)
        .await;
    assert_eq!(
        r.body["entities"].as_array().unwrap().len(),
        5,
        "{}",
        r.body
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_groups_threads_refuse_unknown_groups_bad_cursors_and_no_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let group = group_of(&app, "amy", &[]).await;
    let r = app.get(&format!("/chatgroups/{group}/threads")).await;
    assert_eq!(
        assert_envelope(&r, "get")["entities"],
        serde_json::json!([])
    );
    assert_no_room(&app.get("/chatgroups/123456/threads").await, "123456");
    // A chatroom is not a group.
    let room = app
        .post(
            "/chatrooms",
            serde_json::json!({"name": "r", "description": "d", "owner": "amy"}),
        )
        .await;
    let room = room.body["data"]["id"].as_str().unwrap().to_owned();
    assert_no_room(
        &app.get(&format!("/chatgroups/{room}/threads")).await,
        &room,
    );
    let r = app
        .get(&format!("/chatgroups/{group}/threads?cursor=made-up"))
        .await;
    assert_error(&r, 400, "invalid_parameter");
    let r = app
        .get(&format!("/chatgroups/{group}/threads?sort=sideways"))
        .await;
    assert_error(&r, 400, "invalid_parameter");
    let r = app
        .raw(
            Method::GET,
            &app.path(&format!("/chatgroups/{group}/threads")),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 401);
}
