//! Threads (seed 002 thread management, seed 004 thread members): every endpoint's documented
//! success and errors, in both URL forms.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// Creates a group of `owner` with `members` (registering everyone) and returns its id.
pub async fn group_of(app: &TestApp, owner: &str, members: &[&str]) -> String {
    let mut all = vec![owner];
    all.extend_from_slice(members);
    app.register(&all).await;
    let r = app
        .post(
            "/chatgroups",
            json!({"groupname": "g", "description": "d", "public": true,
                   "owner": owner, "members": members, "maxusers": 5000}),
        )
        .await;
    assert_envelope(&r, "post")["data"]["groupid"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn create_thread(app: &TestApp, group: &str, owner: &str, name: &str) -> String {
    let r = app
        .post(
            "/thread",
            json!({"group_id": group, "name": name, "owner": owner, "msg_id": "1920"}),
        )
        .await;
    let b = assert_envelope(&r, "post");
    let id = b["data"]["thread_id"].as_str().unwrap().to_owned();
    assert!(id.parse::<i64>().is_ok(), "{b}");
    id
}

pub async fn join(app: &TestApp, thread: &str, users: &[&str]) -> Reply {
    app.post(
        &format!("/thread/{thread}/users"),
        json!({ "usernames": users }),
    )
    .await
}

pub async fn kick(app: &TestApp, thread: &str, users: &[&str]) -> Reply {
    app.call(
        Method::DELETE,
        &format!("/threads/{thread}/users"),
        Some(json!({ "usernames": users })),
    )
    .await
}

/// All members of a thread, walking its pages.
pub async fn thread_members(app: &TestApp, thread: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let r = app
            .get(&format!("/thread/{thread}/users?limit=50{q}"))
            .await;
        let b = assert_envelope(&r, "get");
        out.extend(strs(&b["data"]["affiliations"]));
        cursor = b["properties"]["cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return out;
        }
    }
}

pub fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

pub fn ids(b: &Value) -> Vec<String> {
    b["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every thread id of a list, walking its pages `limit` at a time.
pub async fn walk(app: &TestApp, path: &str, query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let c = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let r = app.get(&format!("{path}?{query}{c}")).await;
        let b = assert_envelope(&r, "get");
        out.extend(ids(b));
        cursor = b["properties"]["cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return out;
        }
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_created_thread_is_listed_with_its_fields_and_its_creator_as_first_member(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "test4", &["test2"]).await;
    // Ids and message ids may come as numbers, as the doc's example sends them.
    let r = app
        .post(
            "/thread",
            json!({"group_id": g.parse::<i64>().unwrap(), "name": "1", "owner": "TEST4", "msg_id": 1234}),
        )
        .await;
    let b = assert_envelope(&r, "post");
    let t = b["data"]["thread_id"].as_str().unwrap().to_owned();
    assert_eq!(thread_members(&app, &t).await, ["test4"]);
    let r = app.get("/thread").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(
        b["entities"][0],
        json!({"id": t, "name": "1", "owner": "test4", "msgId": "1234", "groupId": g,
               "created": b["entities"][0]["created"]})
    );
    assert!(b["entities"][0]["created"].as_i64().unwrap() > 1_600_000_000_000);
    assert!(
        b["properties"].is_object() && b["properties"].get("cursor").is_none(),
        "{b}"
    );
    // The app-id form serves the same.
    let by_id = app
        .raw(
            Method::GET,
            &format!("/app-id/{}/thread", app.creds.app_id),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(
        ids(assert_envelope(&by_id, "get")),
        std::slice::from_ref(&t)
    );
    let by_id = app
        .raw(
            Method::POST,
            &format!("/app-id/{}/thread/{t}/users", app.creds.app_id),
            Some(&app.token),
            Some(json!({"usernames": ["test2"]})),
        )
        .await;
    assert_eq!(assert_envelope(&by_id, "post")["data"]["status"], "ok");
    assert_eq!(thread_members(&app, &t).await, ["test4", "test2"]);
    for path in [
        "/threads/user/test4".to_owned(),
        format!("/threads/chatgroups/{g}/user/test4"),
    ] {
        let r = app.get(&path).await;
        let b = assert_envelope(&r, "get");
        assert_eq!(b["entities"][0]["id"], t.as_str(), "{path}");
        assert_eq!(b["entities"][0]["groupId"], g.as_str(), "{path}");
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_create_with_bad_fields_is_refused_and_creates_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &["m1"]).await;
    app.register(&["outsider"]).await;
    let body = |group: Value, name: Value, owner: Value, msg: Value| json!({"group_id": group, "name": name, "owner": owner, "msg_id": msg});
    let cases = [
        (
            body(json!(null), json!("n"), json!("boss"), json!("1")),
            400,
            "invalid_parameter",
        ),
        (
            body(json!(g), json!(null), json!("boss"), json!("1")),
            400,
            "invalid_parameter",
        ),
        (
            body(json!(g), json!(""), json!("boss"), json!("1")),
            400,
            "invalid_parameter",
        ),
        (
            body(json!(g), json!("n"), json!(null), json!("1")),
            400,
            "invalid_parameter",
        ),
        (
            body(json!(g), json!("n"), json!("boss"), json!(null)),
            400,
            "invalid_parameter",
        ),
        (
            body(json!(g), json!("a\u{0}b"), json!("boss"), json!("1")),
            400,
            "illegal_argument",
        ),
        (
            body(json!(g), json!("x".repeat(65)), json!("boss"), json!("1")),
            403,
            "exceed_limit",
        ),
        (
            body(json!("99999"), json!("n"), json!("boss"), json!("1")),
            404,
            "resource_not_found",
        ),
        (
            body(json!("abc"), json!("n"), json!("boss"), json!("1")),
            404,
            "resource_not_found",
        ),
        (
            body(json!(g), json!("n"), json!("ghost"), json!("1")),
            404,
            "resource_not_found",
        ),
        (
            body(json!(g), json!("n"), json!("outsider"), json!("1")),
            403,
            "forbidden_op",
        ),
    ];
    for (b, status, error) in cases {
        let r = app.post("/thread", b.clone()).await;
        assert_error(&r, status, error);
    }
    let r = app
        .post(
            "/thread",
            body(json!(g), json!("n"), json!("outsider"), json!("1")),
        )
        .await;
    assert_eq!(
        assert_error(&r, 403, "forbidden_op"),
        format!("users [outsider] are not members of group {g}!")
    );
    let r = app
        .post(
            "/thread",
            body(json!("99999"), json!("n"), json!("boss"), json!("1")),
        )
        .await;
    assert_eq!(
        assert_error(&r, 404, "resource_not_found"),
        "grpID 99999 does not exist!"
    );
    let r = app
        .post(
            "/thread",
            body(json!(g), json!("n"), json!("ghost"), json!("1")),
        )
        .await;
    assert_eq!(
        assert_error(&r, 404, "resource_not_found"),
        "username ghost doesn't exist!"
    );
    assert!(ids(assert_envelope(&app.get("/thread").await, "get")).is_empty());
    // 64 characters (not bytes) is the limit.
    create_thread(&app, &g, "m1", &"é".repeat(64)).await;
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_thread_is_renamed_and_deleted(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &[]).await;
    let t = create_thread(&app, &g, "boss", "old").await;
    let r = app
        .put(&format!("/thread/{t}"), json!({"name": "test4"}))
        .await;
    assert_eq!(assert_envelope(&r, "put")["data"], json!({"name": "test4"}));
    let b = assert_envelope(&app.get("/thread").await, "get").clone();
    assert_eq!(b["entities"][0]["name"], "test4");
    let r = app
        .put(&format!("/thread/{t}"), json!({"name": "x".repeat(65)}))
        .await;
    assert_error(&r, 403, "exceed_limit");
    let r = app.put(&format!("/thread/{t}"), json!({})).await;
    assert_error(&r, 400, "invalid_parameter");
    let r = app.put("/thread/4242", json!({"name": "n"})).await;
    assert_eq!(
        assert_error(&r, 404, "resource_not_found"),
        "thread 4242 does not exist!"
    );
    let r = app.put("/thread/nope", json!({"name": "n"})).await;
    assert_error(&r, 404, "resource_not_found");
    let r = app.delete(&format!("/thread/{t}")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"status": "ok"})
    );
    assert!(ids(assert_envelope(&app.get("/thread").await, "get")).is_empty());
    assert_error(
        &app.delete(&format!("/thread/{t}")).await,
        404,
        "resource_not_found",
    );
    let r = app.get(&format!("/thread/{t}/users")).await;
    assert_error(&r, 404, "service_resource_not_found");
    let rows: i64 = sqlx::query_scalar("select count(*) from room_members where kind = 'thread'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn group_members_join_in_batches_of_at_most_ten(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let members: Vec<String> = (0..12).map(|i| format!("m{i:02}")).collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let g = group_of(&app, "boss", &refs).await;
    app.register(&["outsider"]).await;
    let t = create_thread(&app, &g, "boss", "t").await;
    let r = join(&app, &t, &refs[..2]).await;
    assert_eq!(assert_envelope(&r, "post")["data"], json!({"status": "ok"}));
    assert_eq!(thread_members(&app, &t).await, ["boss", "m00", "m01"]);
    // Members already in are skipped; the rest join.
    assert_envelope(&join(&app, &t, &["m01", "m02"]).await, "post");
    assert_error(&join(&app, &t, &refs[..11]).await, 400, "invalid_parameter");
    assert_error(&join(&app, &t, &[]).await, 400, "invalid_parameter");
    let r = app.post(&format!("/thread/{t}/users"), json!({})).await;
    assert_error(&r, 400, "invalid_parameter");
    let r = join(&app, &t, &["m03", "outsider"]).await;
    assert_eq!(
        assert_error(&r, 403, "forbidden_op"),
        format!("users [outsider] are not members of group {g}!")
    );
    assert_error(
        &join(&app, &t, &["m03", "ghost"]).await,
        404,
        "resource_not_found",
    );
    assert_error(&join(&app, &t, &["m00", "m01"]).await, 403, "forbidden_op");
    assert_error(
        &join(&app, "4242", &["m03"]).await,
        404,
        "resource_not_found",
    );
    // Nothing of the refused requests was applied.
    assert_eq!(
        thread_members(&app, &t).await,
        ["boss", "m00", "m01", "m02"]
    );
    assert_envelope(&join(&app, &t, &refs[2..12]).await, "post");
    assert_eq!(thread_members(&app, &t).await.len(), 13);
    let (count, rows): (i32, i64) = sqlx::query_as(
        "select member_count, (select count(*) from room_members where room_id = $1)
           from rooms where id = $1",
    )
    .bind(t.parse::<i64>().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(i64::from(count), rows);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_kick_answers_per_user_under_both_paths(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &["a", "b", "c"]).await;
    let t = create_thread(&app, &g, "boss", "t").await;
    assert_envelope(&join(&app, &t, &["a", "b"]).await, "post");
    let r = kick(&app, &t, &["a", "c", "ghost"]).await;
    let b = assert_envelope(&r, "delete");
    assert_eq!(
        b["entities"],
        json!([{"result": true, "user": "a"}, {"result": false, "user": "c"},
               {"result": false, "user": "ghost"}])
    );
    // The doc's example sends the kick to /thread/{id}/users; the creator can be kicked.
    let r = app
        .call(
            Method::DELETE,
            &format!("/thread/{t}/users"),
            Some(json!({"usernames": ["boss"]})),
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "delete")["entities"],
        json!([{"result": true, "user": "boss"}])
    );
    assert_eq!(thread_members(&app, &t).await, ["b"]);
    // Nobody to kick is still a result per user.
    let r = kick(&app, &t, &["a"]).await;
    assert_eq!(
        assert_envelope(&r, "delete")["entities"],
        json!([{"result": false, "user": "a"}])
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("u{i}")).collect();
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
    assert_error(&kick(&app, &t, &eleven).await, 400, "invalid_parameter");
    assert_error(
        &app.delete(&format!("/threads/{t}/users")).await,
        400,
        "invalid_parameter",
    );
    assert_error(&kick(&app, "4242", &["a"]).await, 404, "resource_not_found");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn members_are_listed_in_pages_in_join_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &["a", "b", "c", "d"]).await;
    let t = create_thread(&app, &g, "boss", "t").await;
    assert_envelope(&join(&app, &t, &["a", "b", "c", "d"]).await, "post");
    let r = app.get(&format!("/thread/{t}/users?limit=2")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(strs(&b["data"]["affiliations"]), ["boss", "a"]);
    let c = b["properties"]["cursor"].as_str().unwrap().to_owned();
    let r = app
        .get(&format!("/thread/{t}/users?limit=2&cursor={c}"))
        .await;
    assert_eq!(
        strs(&assert_envelope(&r, "get")["data"]["affiliations"]),
        ["b", "c"]
    );
    assert_eq!(thread_members(&app, &t).await, ["boss", "a", "b", "c", "d"]);
    let r = app.get(&format!("/thread/{t}/users?cursor=garbage")).await;
    assert_error(&r, 400, "invalid_parameter");
    let r = app.get(&format!("/thread/{t}/users?limit=x")).await;
    assert_error(&r, 400, "invalid_parameter");
    let r = app.get("/thread/4242/users").await;
    assert_eq!(
        assert_error(&r, 404, "service_resource_not_found"),
        "do not find this thread:4242"
    );
    // limit is clamped to [1, 50].
    let r = app.get(&format!("/thread/{t}/users?limit=0")).await;
    assert_eq!(
        strs(&assert_envelope(&r, "get")["data"]["affiliations"]).len(),
        1
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn lists_sort_both_ways_and_refuse_unknown_users_groups_and_sorts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g1 = group_of(&app, "boss", &["u"]).await;
    let g2 = group_of(&app, "boss2", &["u"]).await;
    let a = create_thread(&app, &g1, "u", "a").await;
    let b = create_thread(&app, &g2, "boss2", "b").await;
    let c = create_thread(&app, &g1, "boss", "c").await;
    assert_envelope(&join(&app, &b, &["u"]).await, "post");
    let desc = walk(&app, "/thread", "limit=1").await;
    assert_eq!(desc, [c.clone(), b.clone(), a.clone()]);
    let asc = walk(&app, "/thread", "limit=2&sort=ASC").await;
    assert_eq!(asc, [a.clone(), b.clone(), c.clone()]);
    // A user's threads by join time: u joined a (creating it), then b.
    assert_eq!(
        walk(&app, "/threads/user/u", "limit=1").await,
        [b.clone(), a.clone()]
    );
    assert_eq!(
        walk(&app, "/threads/user/U", "sort=asc").await,
        [a.clone(), b.clone()]
    );
    let in_g1 = format!("/threads/chatgroups/{g1}/user/u");
    assert_eq!(
        walk(&app, &in_g1, "limit=1").await,
        std::slice::from_ref(&a)
    );
    assert_eq!(
        walk(&app, &format!("/threads/chatgroups/{g2}/user/u"), "").await,
        [b]
    );
    assert!(walk(&app, "/threads/user/boss", "").await == [c]);
    for path in [
        "/thread?sort=up",
        "/threads/user/u?sort=sideways",
        "/thread?limit=x",
        "/thread?cursor=zz",
    ] {
        assert_error(&app.get(path).await, 400, "invalid_parameter");
    }
    assert_error(
        &app.get("/threads/user/ghost").await,
        404,
        "resource_not_found",
    );
    let r = app.get("/threads/chatgroups/4242/user/u").await;
    assert_eq!(
        assert_error(&r, 404, "resource_not_found"),
        "grpID 4242 does not exist!"
    );
    let r = app
        .get(&format!("/threads/chatgroups/{g1}/user/ghost"))
        .await;
    assert_error(&r, 404, "resource_not_found");
    let r = app.raw(Method::GET, &app.path("/thread"), None, None).await;
    assert_error(&r, 401, "unauthorized");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn cursor_walks_neither_repeat_nor_skip_while_threads_are_created(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &[]).await;
    let mut before = Vec::new();
    for i in 0..7 {
        before.push(create_thread(&app, &g, "boss", &format!("t{i}")).await);
    }
    for (sort, newest_first) in [("desc", true), ("asc", false)] {
        for path in [
            "/thread".to_owned(),
            "/threads/user/boss".to_owned(),
            format!("/threads/chatgroups/{g}/user/boss"),
        ] {
            let mut seen: Vec<String> = Vec::new();
            let mut added: Vec<String> = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let c = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
                let r = app.get(&format!("{path}?limit=2&sort={sort}{c}")).await;
                let b = assert_envelope(&r, "get");
                seen.extend(ids(b));
                cursor = b["properties"]["cursor"].as_str().map(str::to_owned);
                if cursor.is_none() {
                    break;
                }
                added.push(create_thread(&app, &g, "boss", "between").await);
            }
            let mut expected = before.clone();
            if newest_first {
                expected.reverse();
            } else {
                expected.extend(added.iter().cloned());
            }
            assert_eq!(seen, expected, "{path} {sort}");
            before.extend(added);
        }
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_disabled_group_refuses_thread_writes_but_serves_reads(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &["a"]).await;
    let t = create_thread(&app, &g, "boss", "t").await;
    assert_envelope(
        &app.post(&format!("/chatgroups/{g}/disable"), json!({}))
            .await,
        "post",
    );
    let r = app
        .post(
            "/thread",
            json!({"group_id": g, "name": "n", "owner": "boss", "msg_id": "1"}),
        )
        .await;
    assert_error(&r, 403, "forbidden_op");
    assert_error(&join(&app, &t, &["a"]).await, 403, "forbidden_op");
    assert_error(&kick(&app, &t, &["boss"]).await, 403, "forbidden_op");
    let r = app.put(&format!("/thread/{t}"), json!({"name": "n"})).await;
    assert_error(&r, 403, "forbidden_op");
    assert_error(
        &app.delete(&format!("/thread/{t}")).await,
        403,
        "forbidden_op",
    );
    assert_eq!(thread_members(&app, &t).await, ["boss"]);
    assert_eq!(
        ids(assert_envelope(&app.get("/thread").await, "get")),
        std::slice::from_ref(&t)
    );
    assert_envelope(
        &app.post(&format!("/chatgroups/{g}/enable"), json!({}))
            .await,
        "post",
    );
    assert_envelope(&join(&app, &t, &["a"]).await, "post");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_app_thread_cap_answers_exceed_limit(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.threads_per_app = 2).await;
    let g = group_of(&app, "boss", &[]).await;
    let first = create_thread(&app, &g, "boss", "1").await;
    create_thread(&app, &g, "boss", "2").await;
    let r = app
        .post(
            "/thread",
            json!({"group_id": g, "name": "3", "owner": "boss", "msg_id": "1"}),
        )
        .await;
    assert_eq!(
        assert_error(&r, 403, "exceed_limit"),
        "the number of threads in this app cannot exceed 2"
    );
    assert_eq!(walk(&app, "/thread", "").await.len(), 2);
    assert_envelope(&app.delete(&format!("/thread/{first}")).await, "delete");
    create_thread(&app, &g, "boss", "3").await;
}
