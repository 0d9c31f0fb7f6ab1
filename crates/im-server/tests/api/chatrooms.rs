//! Chatrooms: what only chatrooms have (a float `maxusers`, the joined rooms of a user, the update
//! of the chatroom fields), and the helpers the chatroom side of [`crate::kinds`] uses. What
//! chatrooms share with groups is tested for both in the `rooms*.rs` files.

use crate::helpers::*;
use crate::kinds::CHATROOM;
use serde_json::{json, Value};
use sqlx::PgPool;

/// Creates a room from this body through `POST /chatrooms` and returns its id.
pub async fn create(app: &TestApp, body: Value) -> String {
    let r = app.post("/chatrooms", body).await;
    let b = assert_envelope(&r, "post");
    let id = b["data"]["id"].as_str().expect("id is a string").to_owned();
    assert!(id.parse::<i64>().is_ok(), "id {id} is not numeric");
    id
}

/// Creates a room named "room" with this owner and these members and returns its id.
pub async fn room(app: &TestApp, owner: &str, members: &[&str]) -> String {
    create(app, CHATROOM.body("room", owner, members)).await
}

/// The details of one room.
pub async fn details(app: &TestApp, id: &str) -> Value {
    CHATROOM.details(app, id).await
}

/// `POST /chatrooms/{id}/users/{user}` with no body.
pub async fn add(app: &TestApp, id: &str, user: &str) -> Reply {
    CHATROOM.add(app, id, user).await
}

// ---- create ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_whole_float_maxusers_is_read_exactly_even_when_huge(pool: PgPool) {
    // Near 2^52 a float parsed to the nearest-but-one double would gain a fraction and read as
    // "not an integer" (400) instead of being over the ceiling (403).
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let resp = app
        .client
        .post(format!("{}{}", app.base, app.path("/chatrooms")))
        .bearer_auth(&app.token)
        .body(r#"{"name":"r","description":"","owner":"olga","maxusers":4358657609568190.0}"#)
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    assert_error(&r, 403, "exceed_limit");
    let id = create(
        &app,
        json!({"name": "r", "description": "", "owner": "olga", "maxusers": 300.0}),
    )
    .await;
    assert_eq!(details(&app, &id).await["maxusers"], 300);
}

// ---- joined_chatrooms ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn joined_chatrooms_lists_the_newest_join_first_in_pages(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let r1 = create(
        &app,
        json!({"description": "d", "name": "one", "owner": "olga"}),
    )
    .await;
    let r2 = create(
        &app,
        json!({"description": "d", "name": "two", "owner": "olga"}),
    )
    .await;
    let r3 = create(
        &app,
        json!({"description": "d", "name": "three", "owner": "olga"}),
    )
    .await;
    // Join order differs from creation order.
    for id in [&r2, &r3, &r1] {
        let r = add(&app, id, "amy").await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app.get("/users/AMY/joined_chatrooms").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(
        b["data"],
        json!([{"id": r1, "name": "one", "disabled": "false"},
               {"id": r3, "name": "three", "disabled": "false"},
               {"id": r2, "name": "two", "disabled": "false"}])
    );
    assert_eq!(b["count"], 3);
    let ids = |r: &Reply| -> Vec<String> {
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let page2 = app
        .get("/users/amy/joined_chatrooms?pagenum=2&pagesize=2")
        .await;
    assert_eq!(ids(&page2), [r2.as_str()]);
    assert_eq!(page2.body["count"], 1);
    let page0 = app
        .get("/users/amy/joined_chatrooms?pagenum=0&pagesize=2")
        .await;
    assert_eq!(ids(&page0), [r1.as_str(), r3.as_str()]);
    let clamped = app.get("/users/amy/joined_chatrooms?pagesize=0").await;
    assert_eq!(ids(&clamped), [r1.as_str()]);
    let beyond = app
        .get("/users/amy/joined_chatrooms?pagenum=3&pagesize=2")
        .await;
    assert_eq!(beyond.body["data"], json!([]));
    // The owner joined all three at creation.
    assert_eq!(
        app.get("/users/olga/joined_chatrooms").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

// ---- users API interplay ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn joined_chatrooms_without_paging_answers_the_newest_500(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["busy"]).await;
    let mut ids = Vec::new();
    for start in (0..501).step_by(50) {
        let batch = (start..(start + 50).min(501)).map(|i| {
            create(
                &app,
                json!({"description": "d", "name": format!("r{i}"), "owner": "busy"}),
            )
        });
        ids.extend(futures_util::future::join_all(batch).await);
    }
    let r = app.get("/users/busy/joined_chatrooms").await;
    assert_eq!(r.body["count"], 500);
    let all = app.get("/users/busy/joined_chatrooms?pagesize=1000").await;
    assert_eq!(all.body["count"], 501);
    // The one left out of the default answer is the oldest join.
    let listed: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let oldest = all.body["data"][500]["id"].as_str().unwrap();
    assert!(!listed.contains(&oldest));
    assert_eq!(ids.len(), 501);
}
