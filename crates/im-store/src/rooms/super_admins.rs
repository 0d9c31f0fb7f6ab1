//! App-level chatroom super admins.

use super::*;

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

pub async fn add_super_admin(pool: &Db, app: Uuid, name: &Username) -> StoreResult<()> {
    let done = sqlx::query(
        "insert into chatroom_super_admins (app, username)
         select app, username from users where app = $1 and username = $2
         on conflict do nothing",
    )
    .bind(app)
    .bind(name.as_str())
    .execute(pool)
    .await?
    .rows_affected();
    if done == 0 && crate::users::get(pool, app, name.as_str()).await?.is_none() {
        return Err(room::user_not_found(name.as_str()).into());
    }
    Ok(())
}

pub async fn remove_super_admin(pool: &Db, app: Uuid, name: &Username) -> StoreResult<()> {
    let done = sqlx::query("delete from chatroom_super_admins where app = $1 and username = $2")
        .bind(app)
        .bind(name.as_str())
        .execute(pool)
        .await?
        .rows_affected();
    if done == 0 {
        if crate::users::get(pool, app, name.as_str()).await?.is_none() {
            return Err(room::user_not_found(name.as_str()).into());
        }
        return Err(DomainError::not_found(format!("user {name} is not a super admin")).into());
    }
    Ok(())
}
