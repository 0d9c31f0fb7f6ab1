//! App-level chatroom super admins.

use super::*;
use im_domain::callbacks::{self, Operation, Operator, RoomEvent};

pub async fn super_admins(
    pool: &Db,
    app: Uuid,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select username from chatroom_super_admins where app = $1 order by seq offset $2 limit $3",
    )
    .bind(app)
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The events of super admins are app-level (room id 0) and ordered by the app row, which a
/// change of them locks (`for no key update`: plain reads and foreign-key checks go on).
async fn lock_super_admins(conn: &mut PgConnection, app: Uuid) -> StoreResult<()> {
    sqlx::query("select 1 from apps where id = $1 for no key update")
        .bind(app)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn super_admin_events(name: &Username, how: &'static str) -> Vec<RoomEvent> {
    RoomEvent::admins(
        RoomKind::Chatroom,
        0,
        Operation::RoomSuperAdmin,
        &Operator::App,
        how,
        &[name.as_str().to_owned()],
    )
}

pub async fn add_super_admin(pool: &Db, app: Uuid, name: &Username) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    lock_super_admins(&mut tx, app).await?;
    // The user's foreign key says whether it exists (one statement, on the app's shard).
    let done = sqlx::query(
        "insert into chatroom_super_admins (app, username) values ($1, $2)
         on conflict do nothing",
    )
    .bind(app)
    .bind(name.as_str())
    .execute(&mut *tx)
    .await;
    let done = match done {
        Ok(done) => done.rows_affected(),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Err(room::user_not_found(name.as_str()).into());
        }
        Err(e) => return Err(e.into()),
    };
    if done == 0 {
        // Already one: nothing changed, no event.
        return Ok(());
    }
    crate::outbox::record(&mut tx, app, &super_admin_events(name, callbacks::ADD)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_super_admin(pool: &Db, app: Uuid, name: &Username) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    lock_super_admins(&mut tx, app).await?;
    let done = sqlx::query("delete from chatroom_super_admins where app = $1 and username = $2")
        .bind(app)
        .bind(name.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if done == 0 {
        if crate::users::get(pool, app, name.as_str()).await?.is_none() {
            return Err(room::user_not_found(name.as_str()).into());
        }
        return Err(DomainError::not_found(format!("user {name} is not a super admin")).into());
    }
    crate::outbox::record(&mut tx, app, &super_admin_events(name, callbacks::REMOVE)).await?;
    tx.commit().await?;
    Ok(())
}
