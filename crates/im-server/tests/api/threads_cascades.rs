//! Threads follow their group: deleting a group deletes its threads; leaving, removal, block and
//! user deletion take the thread memberships with them; and under concurrent requests every
//! thread member stays a group member with counts equal to rows.

use crate::helpers::*;
use crate::threads::*;
use futures_util::future::join_all;
use futures_util::FutureExt;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

/// Thread members that are not members of the thread's group (must be none).
async fn orphans(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "select count(*) from room_members m join rooms t on t.app = m.app and t.id = m.room_id
          where t.kind = 'thread'
            and not exists (select 1 from room_members g
                             where g.app = m.app and g.room_id = t.parent_id and g.username = m.username)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Rooms whose stored count differs from their rows, and per-user counts that differ from
/// the rows (must be none).
async fn count_mismatches(app: &TestApp) -> (i64, i64) {
    sqlx::query_as(
        "select (select count(*) from rooms r
                  where r.member_count <> (select count(*) from room_members m
                                            where m.app = r.app and m.room_id = r.id)),
                (select count(*) from user_room_counts c
                  where c.n <> (select count(*) from room_members m
                                 where m.app = c.app and m.username = c.username and m.kind = c.kind))",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn thread_count(app: &TestApp) -> i64 {
    let n: Option<i32> = sqlx::query_scalar("select n from app_room_counts where kind = 'thread'")
        .fetch_optional(&app.pool)
        .await
        .unwrap();
    i64::from(n.unwrap_or(0))
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_a_group_deletes_its_threads(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &["a"]).await;
    let other = group_of(&app, "boss2", &[]).await;
    let t1 = create_thread(&app, &g, "boss", "1").await;
    create_thread(&app, &g, "a", "2").await;
    let kept = create_thread(&app, &other, "boss2", "3").await;
    assert_envelope(&join(&app, &t1, &["a"]).await, "post");
    assert_eq!(thread_count(&app).await, 3);
    assert_envelope(&app.delete(&format!("/chatgroups/{g}")).await, "delete");
    assert_eq!(walk(&app, "/thread", "").await, [kept]);
    assert!(walk(&app, "/threads/user/a", "").await.is_empty());
    assert_eq!(thread_count(&app).await, 1);
    assert_eq!(count_mismatches(&app).await, (0, 0));
    assert_error(
        &app.get(&format!("/thread/{t1}/users")).await,
        404,
        "service_resource_not_found",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn leaving_removal_and_block_in_a_group_leave_its_threads(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &["a", "b", "c", "d"]).await;
    let other = group_of(&app, "boss2", &["a"]).await;
    let t1 = create_thread(&app, &g, "a", "1").await;
    let t2 = create_thread(&app, &g, "boss", "2").await;
    let t3 = create_thread(&app, &other, "a", "3").await;
    for t in [&t1, &t2] {
        assert_envelope(&join(&app, t, &["b", "c", "d"]).await, "post");
    }
    // Single removal, batch removal and block.
    assert_envelope(
        &app.delete(&format!("/chatgroups/{g}/users/a")).await,
        "delete",
    );
    assert_envelope(
        &app.delete(&format!("/chatgroups/{g}/users/b,c")).await,
        "delete",
    );
    let r = app
        .post(&format!("/chatgroups/{g}/blocks/users/d"), json!({}))
        .await;
    assert_envelope(&r, "post");
    assert_eq!(thread_members(&app, &t1).await, Vec::<String>::new());
    assert_eq!(thread_members(&app, &t2).await, ["boss"]);
    // The threads stay (the creator is only their creator), and other groups' threads are
    // untouched.
    assert_eq!(
        walk(&app, "/threads/user/a", "").await,
        std::slice::from_ref(&t3)
    );
    assert_eq!(thread_members(&app, &t3).await, ["a"]);
    assert_eq!(walk(&app, "/thread", "").await.len(), 3);
    assert_eq!(orphans(&app).await, 0);
    assert_eq!(count_mismatches(&app).await, (0, 0));
    // Back in the group, a user may join again.
    let r = app
        .post(&format!("/chatgroups/{g}/users/a"), json!({}))
        .await;
    assert_envelope(&r, "post");
    assert_envelope(&join(&app, &t1, &["a"]).await, "post");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_a_user_removes_it_from_every_thread_and_deletes_the_threads_it_created(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let g = group_of(&app, "boss", &["a", "b"]).await;
    let by_a = create_thread(&app, &g, "a", "1").await;
    let by_boss = create_thread(&app, &g, "boss", "2").await;
    assert_envelope(&join(&app, &by_boss, &["a", "b"]).await, "post");
    assert_envelope(&join(&app, &by_a, &["b"]).await, "post");
    assert_envelope(&app.delete("/users/a").await, "delete");
    assert_eq!(
        walk(&app, "/thread", "").await,
        std::slice::from_ref(&by_boss)
    );
    assert_eq!(thread_members(&app, &by_boss).await, ["boss", "b"]);
    assert_eq!(walk(&app, "/threads/user/b", "").await, [by_boss]);
    assert_eq!(thread_count(&app).await, 1);
    assert_eq!(count_mismatches(&app).await, (0, 0));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn joins_racing_removal_from_the_group_never_leave_a_member_outside_the_group(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let users: Vec<String> = (0..40).map(|i| format!("u{i:02}")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let g = group_of(&app, "boss", &refs).await;
    let threads = [
        create_thread(&app, &g, "boss", "1").await,
        create_thread(&app, &g, "boss", "2").await,
    ];
    let mut requests = Vec::new();
    for (i, chunk) in refs.chunks(5).enumerate() {
        for t in &threads {
            requests.push(join(&app, t, chunk).boxed_local());
        }
        let names = chunk.join(",");
        let app = &app;
        let leave = if i % 2 == 0 {
            let path = format!("/chatgroups/{g}/users/{names}");
            async move { app.delete(&path).await }.boxed_local()
        } else {
            let path = format!("/chatgroups/{g}/blocks/users");
            let body = json!({ "usernames": chunk });
            async move { app.post(&path, body).await }.boxed_local()
        };
        requests.push(leave);
    }
    for r in join_all(requests).await {
        // A join that lost the race is refused (not members of the group); never a 5xx.
        assert!(
            r.status == 200 || r.status == 403,
            "{} {}",
            r.status,
            r.body
        );
    }
    assert_eq!(orphans(&app).await, 0);
    assert_eq!(count_mismatches(&app).await, (0, 0));
    for t in &threads {
        assert_eq!(thread_members(&app, t).await, ["boss"]);
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_joins_and_kicks_keep_counts_equal_to_rows(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let users: Vec<String> = (0..30).map(|i| format!("u{i:02}")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let g = group_of(&app, "boss", &refs).await;
    let t = create_thread(&app, &g, "boss", "t").await;
    let mut requests = Vec::new();
    for round in 0..3 {
        for chunk in refs.chunks(10) {
            requests.push(join(&app, &t, chunk).boxed_local());
            let back: Vec<&str> = chunk.iter().rev().take(5 + round).copied().collect();
            let (app, path) = (&app, format!("/threads/{t}/users"));
            let body = json!({ "usernames": back });
            requests.push(
                async move { app.call(Method::DELETE, &path, Some(body)).await }.boxed_local(),
            );
        }
    }
    for r in join_all(requests).await {
        // A join of users who are all in already is refused; never a 5xx.
        assert!(
            r.status == 200 || r.status == 403,
            "{} {}",
            r.status,
            r.body
        );
    }
    assert_eq!(count_mismatches(&app).await, (0, 0));
    let listed = thread_members(&app, &t).await;
    let stored: i32 = sqlx::query_scalar("select member_count from rooms where id = $1")
        .bind(t.parse::<i64>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(listed.len(), stored as usize);
    assert_eq!(orphans(&app).await, 0);
}
