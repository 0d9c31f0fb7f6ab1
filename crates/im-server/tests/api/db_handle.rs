//! The store's database handle (`im_store::Db`): a connection a statement is done with waits on
//! the handle's free list instead of going back to sqlx's pool (which pings every connection it
//! gets back) or straight to a statement waiting for one, and the pool still bounds, tests and
//! closes every connection.

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn pid(db: &im_store::Db) -> i32 {
    sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(db)
        .await
        .unwrap()
}

/// The backends a pool of two has open, seen from another connection.
async fn backends(watch: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("select count(*) from pg_stat_activity where application_name = $1")
        .bind(name)
        .fetch_one(watch)
        .await
        .unwrap()
}

fn two(pool: &PgPool, name: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with((*pool.connect_options()).clone().application_name(name))
}

#[sqlx::test]
async fn statements_one_after_another_run_on_one_held_connection(pool: PgPool) {
    let db = im_store::Db::new(two(&pool, "db-held"));
    let first = pid(&db).await;
    for _ in 0..20 {
        assert_eq!(pid(&db).await, first);
    }
    // Held, not idle in the pool: no ping went to it, and it still counts against the pool.
    assert_eq!(db.held(), 1);
    assert_eq!(db.num_idle(), 0);
    assert_eq!(db.size(), 1);
    // The other forms of a statement take the same connection, and give it back.
    sqlx::query("select 1").execute(&db).await.unwrap();
    let rows: Vec<i32> = sqlx::query_scalar("select generate_series(1, 3)")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(rows, [1, 2, 3]);
    let none: Option<i32> = sqlx::query_scalar("select 1 where false")
        .fetch_optional(&db)
        .await
        .unwrap();
    assert_eq!(none, None);
    assert_eq!((db.held(), db.size()), (1, 1));
    assert_eq!(backends(&pool, "db-held").await, 1);
}

#[sqlx::test]
async fn statements_at_once_take_connections_up_to_the_pool_bound(pool: PgPool) {
    let db = im_store::Db::new(two(&pool, "db-bound"));
    let sleeps = (0..6).map(|_| {
        let db = db.clone();
        async move {
            sqlx::query("select pg_sleep(0.05)")
                .execute(&db)
                .await
                .unwrap();
        }
    });
    futures_util::future::join_all(sleeps).await;
    assert_eq!(db.size(), 2);
    assert_eq!(db.held(), 2);
    assert_eq!(backends(&pool, "db-bound").await, 2);
}

#[sqlx::test]
async fn a_connection_done_goes_to_a_waiting_statement_without_the_pool(pool: PgPool) {
    // The pool counts every connection it gets back (and would test).
    let back = Arc::new(AtomicUsize::new(0));
    let seen = back.clone();
    let one = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .after_release(move |_, _| {
            let seen = seen.clone();
            Box::pin(async move {
                seen.fetch_add(1, Ordering::SeqCst);
                Ok(true)
            })
        })
        .connect_lazy_with(
            (*pool.connect_options())
                .clone()
                .application_name("db-handed"),
        );
    let db = im_store::Db::new(one);
    // Twenty statements at once on one connection: nineteen wait, each for the one before.
    let pids = futures_util::future::join_all((0..20).map(|_| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i32>("select pg_backend_pid() from pg_sleep(0.005)")
                .fetch_one(&db)
                .await
                .unwrap()
        }
    }))
    .await;
    assert!(pids.iter().all(|p| *p == pids[0]), "{pids:?}");
    assert_eq!(back.load(Ordering::SeqCst), 0);
    assert_eq!((db.held(), db.size()), (1, 1));
    // A transaction's connection still ends in the pool.
    db.begin().await.unwrap().commit().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(back.load(Ordering::SeqCst), 1);
}

#[sqlx::test]
async fn quick_statements_at_once_open_the_pool_to_its_bound(pool: PgPool) {
    // Statements shorter than opening a connection: each one the pool opens is kept, even when
    // its taker got another one first.
    let four = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(
            (*pool.connect_options())
                .clone()
                .application_name("db-open"),
        );
    let db = im_store::Db::new(four);
    futures_util::future::join_all((0..40).map(|_| {
        let db = db.clone();
        async move {
            for _ in 0..20 {
                sqlx::query("select 1").execute(&db).await.unwrap();
            }
        }
    }))
    .await;
    assert_eq!(db.size(), 4);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(db.held(), 4);
    assert_eq!(backends(&pool, "db-open").await, 4);
}

#[sqlx::test]
async fn a_connection_whose_statement_failed_goes_back_to_the_pool(pool: PgPool) {
    let db = im_store::Db::new(two(&pool, "db-error"));
    let first = pid(&db).await;
    let e = sqlx::query("select 1 / 0").execute(&db).await;
    assert!(e.is_err());
    // Not held: the pool took it back (and tested it), and hands it out again.
    assert_eq!(db.held(), 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(db.num_idle(), 1);
    assert_eq!(pid(&db).await, first);
    assert_eq!(db.held(), 1);
}

#[sqlx::test]
async fn a_transaction_takes_a_connection_as_a_statement_does_and_ends_in_the_pool(pool: PgPool) {
    let db = im_store::Db::new(two(&pool, "db-tx"));
    let held = pid(&db).await;
    let mut tx = db.begin().await.unwrap();
    assert_eq!(db.held(), 0);
    let in_tx: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(in_tx, held);
    // Meanwhile a statement takes the other connection.
    let other = pid(&db).await;
    assert_ne!(other, held);
    tx.commit().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The transaction's connection went back to the pool, the statement's is held.
    assert_eq!((db.held(), db.num_idle(), db.size()), (1, 1, 2));
}

#[sqlx::test]
async fn closing_the_pool_lets_the_held_connections_go(pool: PgPool) {
    let db = im_store::Db::new(two(&pool, "db-close"));
    let a = db.clone();
    let b = db.clone();
    let (x, y) = tokio::join!(
        sqlx::query("select pg_sleep(0.05)").execute(&a),
        sqlx::query("select pg_sleep(0.05)").execute(&b)
    );
    x.unwrap();
    y.unwrap();
    assert_eq!(db.held(), 2);
    tokio::time::timeout(Duration::from_secs(10), db.close())
        .await
        .expect("closing waits on held connections");
    assert_eq!(db.held(), 0);
    assert_eq!(backends(&pool, "db-close").await, 0);
    // A handle dropped before its pool closes lets its connections go with it.
    let pool2 = two(&pool, "db-drop");
    let short = im_store::Db::new(pool2.clone());
    pid(&short).await;
    drop(short);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(pool2.num_idle(), 1);
}

#[sqlx::test]
async fn a_connection_unused_for_a_second_goes_back_to_the_pool(pool: PgPool) {
    let db = im_store::Db::new(two(&pool, "db-idle"));
    let first = pid(&db).await;
    assert_eq!(db.held(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(db.held(), 1);
    let mut back = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if db.held() == 0 && db.num_idle() == 1 {
            back = true;
            break;
        }
    }
    assert!(back, "held {} idle {}", db.held(), db.num_idle());
    // The pool hands it out again.
    assert_eq!(pid(&db).await, first);
}
