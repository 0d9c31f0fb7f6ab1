//! The chatroom invariants under real concurrent requests, checked in the database.

use crate::chatroom_members::{many, refs, setup};
use crate::chatrooms::{count, create, details};
use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// Member rows of the room in the database.
async fn member_rows(app: &TestApp, id: &str) -> i64 {
    sqlx::query_scalar("select count(*) from room_members where room_id = $1::bigint")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Users that are both members and blocked, in any room.
async fn blocked_members(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "select count(*) from room_members m join room_blocks b using (app, room_id, username)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Sends these requests all at once.
async fn concurrently(app: &TestApp, calls: Vec<(Method, String, Option<Value>)>) -> Vec<Reply> {
    join_all(
        calls
            .into_iter()
            .map(|(m, p, b)| async move { app.call(m, &p, b).await }),
    )
    .await
}

/// Asserts `affiliations_count` equals the member rows and returns it.
async fn consistent_count(app: &TestApp, id: &str) -> i64 {
    let c = count(app, id).await;
    assert_eq!(c, member_rows(app, id).await, "count differs from rows");
    c
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_adds_into_a_nearly_full_room_never_exceed_maxusers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let early = many("e", 5);
    let late = many("l", 40);
    let id = setup(&app, "olga", &refs(&early)).await;
    app.register(&refs(&late)).await;
    let r = app
        .put(&format!("/chatrooms/{id}"), json!({"maxusers": 10}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Singles and small batches race for the four free places.
    let mut calls: Vec<(Method, String, Option<Value>)> = late[..30]
        .iter()
        .map(|u| (Method::POST, format!("/chatrooms/{id}/users/{u}"), None))
        .collect();
    for pair in late[30..].chunks(2) {
        calls.push((
            Method::POST,
            format!("/chatrooms/{id}/users"),
            Some(json!({"usernames": pair})),
        ));
    }
    let replies = concurrently(&app, calls).await;
    let mut added = 0;
    for r in &replies {
        if r.status == 200 {
            added += match r.body["data"]["newmembers"].as_array() {
                Some(list) => list.len(),
                None => 1,
            };
        } else {
            let d = assert_error(r, 403, "forbidden_op");
            assert_eq!(d, "members size is greater than max user size !");
        }
    }
    assert_eq!(added, 4);
    assert_eq!(consistent_count(&app, &id).await, 10);
    assert_eq!(
        details(&app, &id).await["affiliations"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_same_user_added_concurrently_is_one_membership(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    app.register(&["amy", "bob"]).await;
    let mut calls: Vec<(Method, String, Option<Value>)> = (0..20)
        .map(|_| (Method::POST, format!("/chatrooms/{id}/users/amy"), None))
        .collect();
    calls.extend((0..20).map(|_| {
        (
            Method::POST,
            format!("/chatrooms/{id}/users"),
            Some(json!({"usernames": ["amy", "bob"]})),
        )
    }));
    let replies = concurrently(&app, calls).await;
    // Each name is reported as added exactly once, by a single add or in a batch's newmembers.
    let mut added = Vec::new();
    for (i, r) in replies.iter().enumerate() {
        if r.status != 200 {
            assert_error(r, 400, "forbidden_op");
        } else if i < 20 {
            added.push("amy".to_owned());
        } else {
            let list = r.body["data"]["newmembers"].as_array().unwrap();
            added.extend(list.iter().map(|n| n.as_str().unwrap().to_owned()));
        }
    }
    added.sort();
    assert_eq!(added, ["amy", "bob"]);
    let rows: i64 = sqlx::query_scalar(
        "select count(*) from room_members where room_id = $1::bigint and username = 'amy'",
    )
    .bind(id.parse::<i64>().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows, 1);
    assert_eq!(consistent_count(&app, &id).await, 3);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_member_count_equals_the_rows_after_racing_adds_and_removes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let old = many("o", 25);
    let new = many("n", 25);
    let id = setup(&app, "olga", &refs(&old)).await;
    app.register(&refs(&new)).await;
    let mut calls = Vec::new();
    for (i, (o, n)) in old.iter().zip(&new).enumerate() {
        calls.push((Method::DELETE, format!("/chatrooms/{id}/users/{o}"), None));
        calls.push((Method::POST, format!("/chatrooms/{id}/users/{n}"), None));
        // Some users are removed and re-added at once, some added twice.
        if i % 5 == 0 {
            calls.push((Method::POST, format!("/chatrooms/{id}/users/{o}"), None));
            calls.push((
                Method::POST,
                format!("/chatrooms/{id}/users"),
                Some(json!({"usernames": [n, o]})),
            ));
        }
    }
    let replies = concurrently(&app, calls).await;
    for r in &replies {
        assert!(
            r.status == 200 || r.status == 400 || r.status == 403,
            "{}: {}",
            r.status,
            r.body
        );
    }
    let c = consistent_count(&app, &id).await;
    // Every new user got in; at most the five contested old users remain.
    assert!((26..=31).contains(&c), "{c}");
    let r = app.get(&format!("/chatrooms/{id}/users?version=v3")).await;
    let listed = r.body["data"].as_array().unwrap().len();
    assert_eq!(listed as i64, c);
    // A second wave removing everyone else leaves the owner alone.
    let everyone: Vec<String> = old.iter().chain(new.iter()).cloned().collect();
    let calls = everyone
        .chunks(10)
        .map(|c| {
            (
                Method::DELETE,
                format!("/chatrooms/{id}/users/{}", c.join(",")),
                None,
            )
        })
        .collect();
    concurrently(&app, calls).await;
    assert_eq!(consistent_count(&app, &id).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn racing_blocks_and_adds_never_leave_a_blocked_member(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let users = many("u", 20);
    let id = setup(&app, "olga", &refs(&users)).await;
    let other = create(
        &app,
        json!({"description": "d", "name": "other", "owner": "olga"}),
    )
    .await;
    for round in 0..2 {
        let mut calls = Vec::new();
        for u in &users {
            calls.push((
                Method::POST,
                format!("/chatrooms/{id}/blocks/users/{u}"),
                None,
            ));
            calls.push((Method::POST, format!("/chatrooms/{id}/users/{u}"), None));
            calls.push((
                Method::POST,
                format!("/chatrooms/{id}/users"),
                Some(json!({"usernames": [u]})),
            ));
            calls.push((Method::POST, format!("/chatrooms/{other}/users/{u}"), None));
        }
        calls.push((
            Method::POST,
            format!("/chatrooms/{id}/blocks/users"),
            Some(json!({"usernames": users[..10]})),
        ));
        let replies = concurrently(&app, calls).await;
        for r in &replies {
            assert!(
                r.status == 200 || r.status == 400 || r.status == 403,
                "round {round}: {}: {}",
                r.status,
                r.body
            );
        }
        assert_eq!(blocked_members(&app).await, 0, "round {round}");
        let c = consistent_count(&app, &id).await;
        let r = app.get(&format!("/chatrooms/{id}/blocks/users")).await;
        let blocked = r.body["data"].as_array().unwrap().len() as i64;
        // Everyone is either a member or blocked; nobody is both.
        assert_eq!(c - 1 + blocked, 20, "round {round}");
        // Unblock all for the next round, racing with adds again.
        let mut calls = vec![(
            Method::DELETE,
            format!("/chatrooms/{id}/blocks/users/{}", users.join(",")),
            None,
        )];
        calls.extend(
            users
                .iter()
                .map(|u| (Method::POST, format!("/chatrooms/{id}/users/{u}"), None)),
        );
        concurrently(&app, calls).await;
        assert_eq!(blocked_members(&app).await, 0, "round {round}");
        consistent_count(&app, &id).await;
    }
    assert_eq!(consistent_count(&app, &other).await, 21);
}

/// Users whose kept room counts differ from their membership rows.
async fn miscounted_users(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "select count(*) from (
             select app, username, kind, count(*)::int as rows from room_members
              group by app, username, kind) m
           full join user_room_counts c using (app, username, kind)
          where coalesce(m.rows, 0) <> coalesce(c.n, 0)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn per_user_room_counts_equal_the_rows_after_racing_joins_leaves_blocks_and_deletes(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let people = many("p", 12);
    let a = setup(&app, "olga", &refs(&people[..6])).await;
    let b = setup(&app, "olga", &refs(&people[6..])).await;
    let c = setup(&app, "zed", &refs(&people[..3])).await;
    let mut calls: Vec<(Method, String, Option<Value>)> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let (here, there) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        calls.push((Method::POST, format!("/chatrooms/{there}/users/{p}"), None));
        calls.push((Method::DELETE, format!("/chatrooms/{here}/users/{p}"), None));
        if i % 3 == 0 {
            calls.push((
                Method::POST,
                format!("/chatrooms/{here}/blocks/users/{p}"),
                None,
            ));
        }
    }
    calls.push((
        Method::POST,
        format!("/chatrooms/{c}/users"),
        Some(json!({"usernames": refs(&people[3..9])})),
    ));
    calls.push((Method::DELETE, format!("/chatrooms/{c}"), None));
    calls.push((Method::DELETE, format!("/users/{}", people[11]), None));
    let replies = concurrently(&app, calls).await;
    for r in &replies {
        assert!(
            matches!(r.status.as_u16(), 200 | 400 | 403 | 404),
            "{}: {}",
            r.status,
            r.body
        );
    }
    assert_eq!(miscounted_users(&app).await, 0);
    // The kept count is what the join limit reads: a user at the limit stays out.
    let r = app
        .get(&format!("/users/{}/joined_chatrooms", people[0]))
        .await;
    let joined = assert_envelope(&r, "get")["data"].as_array().unwrap().len();
    assert!(joined <= 2, "{joined}");
}
