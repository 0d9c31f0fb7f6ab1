//! The group invariants under real concurrent requests, checked in the database
//! (docs-groups-contract.md §17).

use crate::groups::*;
use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

fn room_id(id: &str) -> i64 {
    id.parse().unwrap()
}

/// Member rows of the group in the database.
async fn member_rows(app: &TestApp, id: &str) -> i64 {
    sqlx::query_scalar("select count(*) from room_members where room_id = $1")
        .bind(room_id(id))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// `rooms.member_count` of the group.
async fn member_count(app: &TestApp, id: &str) -> i64 {
    let n: i32 = sqlx::query_scalar("select member_count from rooms where id = $1")
        .bind(room_id(id))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    i64::from(n)
}

/// Asserts the stored count, the rows and `affiliations_count` agree, and returns the count.
async fn consistent_count(app: &TestApp, id: &str) -> i64 {
    let rows = member_rows(app, id).await;
    assert_eq!(
        member_count(app, id).await,
        rows,
        "member_count differs from rows"
    );
    assert_eq!(
        count(app, id).await,
        rows,
        "affiliations_count differs from rows"
    );
    rows
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

/// Asserts exactly one owner row (role 2), that it is `rooms.owner`, and returns its name.
async fn single_owner(app: &TestApp, id: &str) -> String {
    let owners: Vec<String> =
        sqlx::query_scalar("select username from room_members where room_id = $1 and role = 2")
            .bind(room_id(id))
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(owners.len(), 1, "owner rows: {owners:?}");
    let owner: String = sqlx::query_scalar("select owner from rooms where id = $1")
        .bind(room_id(id))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(owners[0], owner);
    owner
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

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_adds_into_a_nearly_full_group_never_exceed_maxusers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let early = many("e", 5);
    let late = many("l", 40);
    let id = setup(&app, "olga", &refs(&early)).await;
    app.register(&refs(&late)).await;
    let r = app
        .put(&format!("/chatgroups/{id}"), json!({"maxusers": 10}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut calls: Vec<(Method, String, Option<Value>)> = late[..30]
        .iter()
        .map(|u| (Method::POST, format!("/chatgroups/{id}/users/{u}"), None))
        .collect();
    for pair in late[30..].chunks(2) {
        calls.push((
            Method::POST,
            format!("/chatgroups/{id}/users"),
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
    assert_eq!(members(&app, &id).await.len(), 10);
    single_owner(&app, &id).await;
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn racing_blocks_and_adds_never_leave_a_blocked_member(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let users = many("u", 20);
    let id = setup(&app, "olga", &refs(&users)).await;
    let other = group(&app, "olga", &[]).await;
    for round in 0..2 {
        let mut calls = Vec::new();
        for u in &users {
            calls.push((
                Method::POST,
                format!("/chatgroups/{id}/blocks/users/{u}"),
                None,
            ));
            calls.push((Method::POST, format!("/chatgroups/{id}/users/{u}"), None));
            calls.push((
                Method::POST,
                format!("/chatgroups/{id}/users"),
                Some(json!({"usernames": [u]})),
            ));
            calls.push((Method::POST, format!("/chatgroups/{other}/users/{u}"), None));
        }
        calls.push((
            Method::POST,
            format!("/chatgroups/{id}/blocks/users"),
            Some(json!({"usernames": users[..10]})),
        ));
        let replies = concurrently(&app, calls).await;
        for r in &replies {
            assert!(
                r.status == 200 || r.status == 403,
                "round {round}: {}: {}",
                r.status,
                r.body
            );
        }
        assert_eq!(blocked_members(&app).await, 0, "round {round}");
        let c = consistent_count(&app, &id).await;
        let blocked = i64::try_from(
            app.get(&format!("/chatgroups/{id}/blocks/users"))
                .await
                .body["data"]
                .as_array()
                .unwrap()
                .len(),
        )
        .unwrap();
        // Everyone is either a member or blocked; nobody is both.
        assert_eq!(c - 1 + blocked, 20, "round {round}");
        let mut calls = vec![(
            Method::DELETE,
            format!("/chatgroups/{id}/blocks/users/{}", users.join(",")),
            None,
        )];
        calls.extend(
            users
                .iter()
                .map(|u| (Method::POST, format!("/chatgroups/{id}/users/{u}"), None)),
        );
        concurrently(&app, calls).await;
        assert_eq!(blocked_members(&app).await, 0, "round {round}");
        consistent_count(&app, &id).await;
    }
    assert_eq!(consistent_count(&app, &other).await, 21);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_owner_transfers_leave_exactly_one_owner_who_is_a_member(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let users = many("m", 10);
    let id = setup(&app, "olga", &refs(&users)).await;
    let olga = "olga".to_owned();
    for round in 0..3 {
        let mut calls: Vec<(Method, String, Option<Value>)> = Vec::new();
        for (i, u) in users.iter().chain(std::iter::once(&olga)).enumerate() {
            for _ in 0..2 {
                calls.push((
                    Method::PUT,
                    format!("/chatgroups/{id}"),
                    Some(json!({"newowner": u})),
                ));
            }
            // Promotions, removals and blocks of the same candidates race the transfers.
            calls.push((
                Method::POST,
                format!("/chatgroups/{id}/admin"),
                Some(json!({"newadmin": u})),
            ));
            if i % 3 == round {
                calls.push((Method::DELETE, format!("/chatgroups/{id}/users/{u}"), None));
            }
            if i % 5 == round {
                calls.push((
                    Method::POST,
                    format!("/chatgroups/{id}/blocks/users/{u}"),
                    None,
                ));
            }
        }
        let replies = concurrently(&app, calls).await;
        let mut transfers = 0;
        for r in &replies {
            assert!(
                r.status == 200 || r.status == 403,
                "round {round}: {}: {}",
                r.status,
                r.body
            );
            if r.status == 200 && r.body["data"]["newowner"] == true {
                transfers += 1;
            }
        }
        assert!(transfers >= 1, "round {round}: no transfer succeeded");
        let owner = single_owner(&app, &id).await;
        let d = details(&app, &id).await;
        assert_eq!(d["owner"], owner.as_str());
        assert_eq!(d["affiliations"][0], json!({"owner": owner}));
        consistent_count(&app, &id).await;
        assert_eq!(blocked_members(&app).await, 0, "round {round}");
        // The owner is no admin; every admin is a member row by construction.
        let r = app.get(&format!("/chatgroups/{id}/admin")).await;
        assert!(!strings(&r.body["data"]).contains(&owner), "{}", r.body);
        // Bring everyone back for the next round.
        // The old owner may have been blocked once it was a plain member: unblock it too.
        let mut all = users.clone();
        all.push("olga".into());
        let back = format!("/chatgroups/{id}/blocks/users/{}", all.join(","));
        concurrently(&app, vec![(Method::DELETE, back, None)]).await;
        let missing: Vec<String> = {
            let present = members(&app, &id).await;
            all.into_iter().filter(|u| !present.contains(u)).collect()
        };
        if !missing.is_empty() {
            assert_eq!(add_batch(&app, &id, json!(missing)).await.status, 200);
        }
        assert_eq!(consistent_count(&app, &id).await, 11);
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn counts_equal_rows_after_racing_adds_removes_and_duplicate_adds(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let old = many("o", 25);
    let new = many("n", 25);
    let id = setup(&app, "olga", &refs(&old)).await;
    app.register(&refs(&new)).await;
    let mut calls = Vec::new();
    for (i, (o, n)) in old.iter().zip(&new).enumerate() {
        calls.push((Method::DELETE, format!("/chatgroups/{id}/users/{o}"), None));
        calls.push((Method::POST, format!("/chatgroups/{id}/users/{n}"), None));
        calls.push((Method::POST, format!("/chatgroups/{id}/users/{n}"), None));
        if i % 5 == 0 {
            calls.push((Method::POST, format!("/chatgroups/{id}/users/{o}"), None));
            calls.push((
                Method::POST,
                format!("/chatgroups/{id}/users"),
                Some(json!({"usernames": [n, o]})),
            ));
        }
    }
    let replies = concurrently(&app, calls).await;
    for r in &replies {
        assert!(
            r.status == 200 || r.status == 403,
            "{}: {}",
            r.status,
            r.body
        );
    }
    let c = consistent_count(&app, &id).await;
    // Every new user got in exactly once; at most the five contested old users remain.
    assert!((26..=31).contains(&c), "{c}");
    let dupes: i64 = sqlx::query_scalar(
        "select count(*) from (select username from room_members where room_id = $1
          group by username having count(*) > 1) d",
    )
    .bind(room_id(&id))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(dupes, 0);
    let r = app
        .get(&format!("/chatgroups/{id}/users?version=v3&limit=100"))
        .await;
    assert_eq!(i64::try_from(strings(&r.body["data"]).len()).unwrap(), c);
    let everyone: Vec<String> = old.iter().chain(new.iter()).cloned().collect();
    let calls = everyone
        .chunks(10)
        .map(|c| {
            (
                Method::DELETE,
                format!("/chatgroups/{id}/users/{}", c.join(",")),
                None,
            )
        })
        .collect();
    concurrently(&app, calls).await;
    assert_eq!(consistent_count(&app, &id).await, 1);
    assert_eq!(single_owner(&app, &id).await, "olga");
}
