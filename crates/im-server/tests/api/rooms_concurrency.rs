//! The room invariants under real concurrent requests, checked in the database, for chatrooms and
//! groups alike (docs-groups-contract.md §17).

use crate::helpers::*;
use crate::kinds::*;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

fn room_id(id: &str) -> i64 {
    id.parse().unwrap()
}

/// Member rows of the room in the database.
async fn member_rows(app: &TestApp, id: &str) -> i64 {
    sqlx::query_scalar("select count(*) from room_members where room_id = $1")
        .bind(room_id(id))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Asserts the stored count, the rows and `affiliations_count` agree, and returns the count.
async fn consistent_count(kind: Kind, app: &TestApp, id: &str) -> i64 {
    let rows = member_rows(app, id).await;
    let stored: i32 = sqlx::query_scalar("select member_count from rooms where id = $1")
        .bind(room_id(id))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(i64::from(stored), rows, "member_count differs from rows");
    assert_eq!(
        kind.count(app, id).await,
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

/// Asserts each reply is a success or a refusal of this kind.
#[track_caller]
fn succeeded_or_refused(kind: Kind, replies: &[Reply], when: &str) {
    for r in replies {
        assert!(
            r.status == 200 || r.status == 403 || r.status == kind.refused,
            "{when}: {}: {}",
            r.status,
            r.body
        );
    }
}

async fn concurrent_adds_into_a_nearly_full_room_never_exceed_maxusers(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &refs(&many("e", 5))).await;
    let late = many("l", 40);
    app.register(&refs(&late)).await;
    let r = app.put(&kind.at(&id, ""), json!({"maxusers": 10})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Singles and small batches race for the four free places.
    let mut calls: Vec<(Method, String, Option<Value>)> = late[..30]
        .iter()
        .map(|u| (Method::POST, kind.at(&id, &format!("/users/{u}")), None))
        .collect();
    for pair in late[30..].chunks(2) {
        calls.push((
            Method::POST,
            kind.at(&id, "/users"),
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
            assert_refusal(
                r,
                403,
                FORBIDDEN,
                "members size is greater than max user size !",
            );
        }
    }
    assert_eq!(added, 4);
    assert_eq!(consistent_count(kind, &app, &id).await, 10);
    assert_eq!(kind.members(&app, &id).await.len(), 10);
    single_owner(&app, &id).await;
}
both_kinds!(concurrent_adds_into_a_nearly_full_room_never_exceed_maxusers);

async fn the_same_user_added_concurrently_is_one_membership(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    app.register(&["amy", "bob"]).await;
    let mut calls: Vec<(Method, String, Option<Value>)> = (0..20)
        .map(|_| (Method::POST, kind.at(&id, "/users/amy"), None))
        .collect();
    calls.extend((0..20).map(|_| {
        (
            Method::POST,
            kind.at(&id, "/users"),
            Some(json!({"usernames": ["amy", "bob"]})),
        )
    }));
    let replies = concurrently(&app, calls).await;
    // Each name is reported as added exactly once, by a single add or in a batch's newmembers.
    let mut added = Vec::new();
    for (i, r) in replies.iter().enumerate() {
        if r.status != 200 {
            assert_error(r, kind.refused, "forbidden_op");
        } else if i < 20 {
            added.push("amy".to_owned());
        } else {
            added.extend(strings(&r.body["data"]["newmembers"]));
        }
    }
    added.sort();
    assert_eq!(added, ["amy", "bob"]);
    let rows: i64 = sqlx::query_scalar(
        "select count(*) from room_members where room_id = $1 and username = 'amy'",
    )
    .bind(room_id(&id))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows, 1);
    assert_eq!(consistent_count(kind, &app, &id).await, 3);
}
both_kinds!(the_same_user_added_concurrently_is_one_membership);

async fn counts_equal_rows_after_racing_adds_removes_and_duplicate_adds(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let old = many("o", 25);
    let new = many("n", 25);
    let id = kind.setup(&app, "olga", &refs(&old)).await;
    app.register(&refs(&new)).await;
    let mut calls = Vec::new();
    for (i, (o, n)) in old.iter().zip(&new).enumerate() {
        calls.push((Method::DELETE, kind.at(&id, &format!("/users/{o}")), None));
        calls.push((Method::POST, kind.at(&id, &format!("/users/{n}")), None));
        calls.push((Method::POST, kind.at(&id, &format!("/users/{n}")), None));
        // Some users are removed and re-added at once.
        if i % 5 == 0 {
            calls.push((Method::POST, kind.at(&id, &format!("/users/{o}")), None));
            calls.push((
                Method::POST,
                kind.at(&id, "/users"),
                Some(json!({"usernames": [n, o]})),
            ));
        }
    }
    let replies = concurrently(&app, calls).await;
    succeeded_or_refused(kind, &replies, "racing");
    let c = consistent_count(kind, &app, &id).await;
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
    let r = app.get(&kind.at(&id, "/users?version=v3&limit=100")).await;
    assert_eq!(i64::try_from(strings(&r.body["data"]).len()).unwrap(), c);
    // A second wave removing everyone else leaves the owner alone.
    let everyone: Vec<String> = old.iter().chain(new.iter()).cloned().collect();
    let calls = everyone
        .chunks(10)
        .map(|c| {
            let path = kind.at(&id, &format!("/users/{}", c.join(",")));
            (Method::DELETE, path, None)
        })
        .collect();
    concurrently(&app, calls).await;
    assert_eq!(consistent_count(kind, &app, &id).await, 1);
    assert_eq!(single_owner(&app, &id).await, "olga");
}
both_kinds!(counts_equal_rows_after_racing_adds_removes_and_duplicate_adds);

async fn racing_blocks_and_adds_never_leave_a_blocked_member(kind: Kind, pool: PgPool) {
    let users = many("u", 20);
    let (app, id) = kind.start(pool, "olga", &refs(&users)).await;
    let other = kind.room(&app, "olga", &[]).await;
    for round in 0..2 {
        let mut calls = Vec::new();
        for u in &users {
            calls.push((
                Method::POST,
                kind.at(&id, &format!("/blocks/users/{u}")),
                None,
            ));
            calls.push((Method::POST, kind.at(&id, &format!("/users/{u}")), None));
            calls.push((
                Method::POST,
                kind.at(&id, "/users"),
                Some(json!({"usernames": [u]})),
            ));
            calls.push((Method::POST, kind.at(&other, &format!("/users/{u}")), None));
        }
        calls.push((
            Method::POST,
            kind.at(&id, "/blocks/users"),
            Some(json!({"usernames": users[..10]})),
        ));
        let replies = concurrently(&app, calls).await;
        succeeded_or_refused(kind, &replies, &format!("round {round}"));
        assert_eq!(blocked_members(&app).await, 0, "round {round}");
        let c = consistent_count(kind, &app, &id).await;
        let blocked = i64::try_from(kind.blocks(&app, &id).await.len()).unwrap();
        // Everyone is either a member or blocked; nobody is both.
        assert_eq!(c - 1 + blocked, 20, "round {round}");
        // Unblock all for the next round, racing with adds again.
        let mut calls = vec![(
            Method::DELETE,
            kind.at(&id, &format!("/blocks/users/{}", users.join(","))),
            None,
        )];
        calls.extend(
            users
                .iter()
                .map(|u| (Method::POST, kind.at(&id, &format!("/users/{u}")), None)),
        );
        concurrently(&app, calls).await;
        assert_eq!(blocked_members(&app).await, 0, "round {round}");
        consistent_count(kind, &app, &id).await;
    }
    assert_eq!(consistent_count(kind, &app, &other).await, 21);
}
both_kinds!(racing_blocks_and_adds_never_leave_a_blocked_member);

async fn concurrent_owner_transfers_leave_exactly_one_owner_who_is_a_member(
    kind: Kind,
    pool: PgPool,
) {
    let users = many("m", 10);
    let (app, id) = kind.start(pool, "olga", &refs(&users)).await;
    let olga = "olga".to_owned();
    for round in 0..3 {
        let mut calls: Vec<(Method, String, Option<Value>)> = Vec::new();
        for (i, u) in users.iter().chain(std::iter::once(&olga)).enumerate() {
            for _ in 0..2 {
                calls.push((Method::PUT, kind.at(&id, ""), Some(json!({"newowner": u}))));
            }
            // Promotions, removals and blocks of the same candidates race the transfers.
            calls.push((
                Method::POST,
                kind.at(&id, "/admin"),
                Some(json!({"newadmin": u})),
            ));
            if i % 3 == round {
                calls.push((Method::DELETE, kind.at(&id, &format!("/users/{u}")), None));
            }
            if i % 5 == round {
                calls.push((
                    Method::POST,
                    kind.at(&id, &format!("/blocks/users/{u}")),
                    None,
                ));
            }
        }
        let replies = concurrently(&app, calls).await;
        succeeded_or_refused(kind, &replies, &format!("round {round}"));
        let transfers = replies
            .iter()
            .filter(|r| r.status == 200 && r.body["data"]["newowner"] == true)
            .count();
        assert!(transfers >= 1, "round {round}: no transfer succeeded");
        let owner = single_owner(&app, &id).await;
        let d = kind.details(&app, &id).await;
        assert_eq!(d["owner"], owner.as_str());
        assert_eq!(d["affiliations"][0], json!({"owner": owner}));
        consistent_count(kind, &app, &id).await;
        assert_eq!(blocked_members(&app).await, 0, "round {round}");
        // The owner is no admin; every admin is a member row by construction.
        assert!(!kind.admins(&app, &id).await.contains(&owner));
        // Bring everyone back for the next round.
        // The old owner may have been blocked once it was a plain member: unblock it too.
        let mut all = users.clone();
        all.push("olga".into());
        let back = kind.at(&id, &format!("/blocks/users/{}", all.join(",")));
        concurrently(&app, vec![(Method::DELETE, back, None)]).await;
        let missing: Vec<String> = {
            let present = kind.members(&app, &id).await;
            all.into_iter().filter(|u| !present.contains(u)).collect()
        };
        if !missing.is_empty() {
            let r = kind.add_batch(&app, &id, json!(missing)).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        assert_eq!(consistent_count(kind, &app, &id).await, 11);
    }
}
both_kinds!(concurrent_owner_transfers_leave_exactly_one_owner_who_is_a_member);

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

async fn per_user_room_counts_equal_the_rows_after_racing_joins_leaves_blocks_and_deletes(
    kind: Kind,
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let people = many("p", 12);
    let a = kind.setup(&app, "olga", &refs(&people[..6])).await;
    let b = kind.setup(&app, "olga", &refs(&people[6..])).await;
    let c = kind.setup(&app, "zed", &refs(&people[..3])).await;
    let mut calls: Vec<(Method, String, Option<Value>)> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let (here, there) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        calls.push((Method::POST, kind.at(there, &format!("/users/{p}")), None));
        calls.push((Method::DELETE, kind.at(here, &format!("/users/{p}")), None));
        if i % 3 == 0 {
            calls.push((
                Method::POST,
                kind.at(here, &format!("/blocks/users/{p}")),
                None,
            ));
        }
    }
    calls.push((
        Method::POST,
        kind.at(&c, "/users"),
        Some(json!({"usernames": refs(&people[3..9])})),
    ));
    calls.push((Method::DELETE, kind.at(&c, ""), None));
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
    let joined = kind.joined(&app, &people[0]).await.len();
    assert!(joined <= 2, "{joined}");
}
both_kinds!(per_user_room_counts_equal_the_rows_after_racing_joins_leaves_blocks_and_deletes);

/// The server's count of member adds (or removals) and of the transactions that applied them.
async fn change_counts(app: &TestApp, change: &str) -> (i64, i64) {
    let text = app.metrics().await;
    let read = |what: &str| {
        let key = format!("room_member_changes{{change=\"{change}\",what=\"{what}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&key))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .trim()
            .parse::<i64>()
            .unwrap()
    };
    (read("requests"), read("transactions"))
}

async fn concurrent_changes_to_one_room_share_transactions_and_each_gets_its_own_answer(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    let users = many("c", 40);
    app.register(&refs(&users)).await;
    let (adds_before, tx_before) = change_counts(&app, "add").await;
    // Every user once as a single add, the first ten a second time, and ten batches naming
    // users the singles also add.
    let mut calls: Vec<(Method, String, Option<Value>)> = users
        .iter()
        .chain(&users[..10])
        .map(|u| (Method::POST, kind.at(&id, &format!("/users/{u}")), None))
        .collect();
    for pair in users[20..40].chunks(2) {
        calls.push((
            Method::POST,
            kind.at(&id, "/users"),
            Some(json!({"usernames": pair})),
        ));
    }
    let asked = calls.len() as i64;
    let replies = concurrently(&app, calls).await;
    let mut added: Vec<String> = Vec::new();
    for (i, r) in replies.iter().enumerate() {
        if r.status != 200 {
            // Only a second add of someone already in is refused, and it says so.
            assert_error(r, kind.refused, "forbidden_op");
            let text = r.body["error_description"].as_str().unwrap_or_default();
            assert!(text.contains("already in group"), "{}", r.body);
        } else if i < 50 {
            assert_eq!(r.body["data"]["result"], json!(true), "{}", r.body);
            added.push(r.body["data"]["user"].as_str().unwrap().to_owned());
        } else {
            added.extend(strings(&r.body["data"]["newmembers"]));
        }
    }
    added.sort();
    let mut expected = users.clone();
    expected.sort();
    assert_eq!(added, expected, "each user is reported added exactly once");
    assert_eq!(consistent_count(kind, &app, &id).await, 41);
    single_owner(&app, &id).await;
    let (adds_after, tx_after) = change_counts(&app, "add").await;
    assert_eq!(adds_after - adds_before, asked);
    assert!(
        tx_after - tx_before < asked,
        "{asked} concurrent adds ran in {} transactions",
        tx_after - tx_before
    );

    // Removals the same way: every user once, the first ten twice, and pairs of users the
    // singles also remove, all at once.
    let (before, tx_before) = change_counts(&app, "remove").await;
    let mut calls: Vec<(Method, String, Option<Value>)> = users
        .iter()
        .chain(&users[..10])
        .map(|u| (Method::DELETE, kind.at(&id, &format!("/users/{u}")), None))
        .collect();
    for pair in users[20..40].chunks(2) {
        calls.push((
            Method::DELETE,
            kind.at(&id, &format!("/users/{}", pair.join(","))),
            None,
        ));
    }
    let asked = calls.len() as i64;
    let replies = concurrently(&app, calls).await;
    let mut removed: Vec<String> = Vec::new();
    for (i, r) in replies.iter().enumerate() {
        if r.status != 200 {
            assert_error(r, kind.refused, "forbidden_op");
            let text = r.body["error_description"].as_str().unwrap_or_default();
            assert!(text.contains("not members"), "{}", r.body);
        } else if i < 50 {
            assert_eq!(r.body["data"]["result"], json!(true), "{}", r.body);
            removed.push(r.body["data"]["user"].as_str().unwrap().to_owned());
        } else {
            for one in r.body["data"].as_array().unwrap() {
                if one["result"] == json!(true) {
                    removed.push(one["user"].as_str().unwrap().to_owned());
                }
            }
        }
    }
    removed.sort();
    assert_eq!(
        removed, expected,
        "each user is reported removed exactly once"
    );
    assert_eq!(consistent_count(kind, &app, &id).await, 1);
    single_owner(&app, &id).await;
    let (after, tx_after) = change_counts(&app, "remove").await;
    assert_eq!(after - before, asked);
    assert!(
        tx_after - tx_before < asked,
        "{asked} concurrent removals ran in {} transactions",
        tx_after - tx_before
    );
}
both_kinds!(concurrent_changes_to_one_room_share_transactions_and_each_gets_its_own_answer);
