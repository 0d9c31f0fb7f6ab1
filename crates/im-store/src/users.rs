use crate::error::StoreResult;
use crate::Db;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// An IM user as the API shows it.
#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub uuid: Uuid,
    pub username: String,
    pub nickname: Option<String>,
    pub activated: bool,
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

const COLUMNS: &str = "uuid, username, nickname, activated, seq, created_at, modified_at";

/// A user to register; the password is already hashed.
pub struct NewUser {
    pub username: String,
    pub password_hash: Option<String>,
    pub nickname: Option<String>,
}

/// Registers users in one statement. Returns the users created, in request order, and the
/// names that already existed (nothing is written for those).
pub async fn register(
    pool: &Db,
    app: Uuid,
    new: Vec<NewUser>,
) -> StoreResult<(Vec<User>, Vec<String>)> {
    let mut names = Vec::with_capacity(new.len());
    let mut uuids = Vec::with_capacity(new.len());
    let mut hashes = Vec::with_capacity(new.len());
    let mut nicks = Vec::with_capacity(new.len());
    for n in new {
        names.push(n.username);
        uuids.push(Uuid::new_v4());
        hashes.push(n.password_hash);
        nicks.push(n.nickname);
    }
    let mut created = sqlx::query_as::<_, User>(&format!(
        "insert into users (app, username, uuid, password_hash, nickname)
         select $1, n.username, n.uuid, n.hash, n.nick
           from unnest($2::text[], $3::uuid[], $4::text[], $5::text[])
                with ordinality as n(username, uuid, hash, nick, ord)
          order by n.ord
         on conflict (app, username) do nothing
         returning {COLUMNS}"
    ))
    .bind(app)
    .bind(&names)
    .bind(&uuids)
    .bind(&hashes)
    .bind(&nicks)
    .fetch_all(pool)
    .await?;
    created.sort_by_key(|u| u.seq);
    let existing = names
        .into_iter()
        .filter(|n| !created.iter().any(|u| &u.username == n))
        .collect();
    Ok((created, existing))
}

pub async fn get(pool: &Db, app: Uuid, username: &str) -> StoreResult<Option<User>> {
    Ok(sqlx::query_as::<_, User>(&format!(
        "select {COLUMNS} from users where app = $1 and username = $2"
    ))
    .bind(app)
    .bind(username)
    .fetch_optional(pool)
    .await?)
}

/// A user with its password hash, for login.
pub async fn credentials(
    pool: &Db,
    app: Uuid,
    username: &str,
) -> StoreResult<Option<(User, Option<String>)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: User,
        password_hash: Option<String>,
    }
    let row = sqlx::query_as::<_, Row>(&format!(
        "select {COLUMNS}, password_hash from users where app = $1 and username = $2"
    ))
    .bind(app)
    .bind(username)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.user, r.password_hash)))
}

/// One page of users in creation order after the keyset position `after`, plus whether more
/// users follow it.
pub async fn page(
    pool: &Db,
    app: Uuid,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<(Vec<User>, bool)> {
    let rows = sqlx::query_as::<_, User>(&format!(
        "select {COLUMNS} from users where app = $1 and seq > $2 order by seq limit $3"
    ))
    .bind(app)
    .bind(after.unwrap_or(0))
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(crate::split_page(rows, limit))
}

/// Deletes one user and everything that hangs off it, in one transaction.
pub async fn delete_one(pool: &Db, app: Uuid, username: &str) -> StoreResult<Option<User>> {
    let mut tx = pool.begin().await?;
    let names = vec![username.to_owned()];
    let mut gone = delete_named(&mut tx, app, &names).await?;
    tx.commit().await?;
    Ok(gone.pop())
}

/// Deletes the `limit` oldest users after the keyset position `after`, in one transaction.
/// Returns them oldest first, and whether users remain after the last one.
pub async fn delete_oldest(
    pool: &Db,
    app: Uuid,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<(Vec<User>, bool)> {
    let mut tx = pool.begin().await?;
    let names: Vec<String> = sqlx::query_scalar(
        "select username from users where app = $1 and seq > $2
          order by seq limit $3 for update",
    )
    .bind(app)
    .bind(after.unwrap_or(0))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let gone = delete_named(&mut tx, app, &names).await?;
    let more = match gone.last() {
        Some(last) => {
            sqlx::query_scalar("select exists(select 1 from users where app = $1 and seq > $2)")
                .bind(app)
                .bind(last.seq)
                .fetch_one(&mut *tx)
                .await?
        }
        None => false,
    };
    tx.commit().await?;
    Ok((gone, more))
}

/// Deletes the named users inside the caller's transaction, together with what they own and
/// every membership they hold, and returns them oldest first.
pub async fn delete_named(
    conn: &mut PgConnection,
    app: Uuid,
    usernames: &[String],
) -> StoreResult<Vec<User>> {
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    crate::departures::purge_users(conn, app, usernames).await?;
    let mut gone = sqlx::query_as::<_, User>(&format!(
        "delete from users where app = $1 and username = any($2) returning {COLUMNS}"
    ))
    .bind(app)
    .bind(usernames)
    .fetch_all(&mut *conn)
    .await?;
    gone.sort_by_key(|u| u.seq);
    Ok(gone)
}

pub async fn set_password(
    pool: &Db,
    app: Uuid,
    username: &str,
    password_hash: &str,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "update users set password_hash = $3, modified_at = now()
          where app = $1 and username = $2",
    )
    .bind(app)
    .bind(username)
    .bind(password_hash)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_activated(
    pool: &Db,
    app: Uuid,
    username: &str,
    activated: bool,
) -> StoreResult<Option<User>> {
    Ok(sqlx::query_as::<_, User>(&format!(
        "update users set activated = $3, modified_at = now()
          where app = $1 and username = $2 returning {COLUMNS}"
    ))
    .bind(app)
    .bind(username)
    .bind(activated)
    .fetch_optional(pool)
    .await?)
}

pub async fn set_nickname(
    pool: &Db,
    app: Uuid,
    username: &str,
    nickname: &str,
) -> StoreResult<Option<User>> {
    Ok(sqlx::query_as::<_, User>(&format!(
        "update users set nickname = $3, modified_at = now()
          where app = $1 and username = $2 returning {COLUMNS}"
    ))
    .bind(app)
    .bind(username)
    .bind(nickname)
    .fetch_optional(pool)
    .await?)
}

/// Returns the user, creating it (without a password) when it does not exist. Safe under
/// concurrent calls for the same name.
pub async fn get_or_create(pool: &Db, app: Uuid, username: &str) -> StoreResult<User> {
    let row = sqlx::query_as::<_, User>(&format!(
        "with ins as (
            insert into users (app, username, uuid) values ($1, $2, $3)
            on conflict (app, username) do nothing
            returning {COLUMNS})
         select {COLUMNS} from ins
         union all
         select {COLUMNS} from users where app = $1 and username = $2
         limit 1"
    ))
    .bind(app)
    .bind(username)
    .bind(Uuid::new_v4())
    .fetch_optional(pool)
    .await?;
    match row {
        Some(u) => Ok(u),
        // A concurrent insert committed after this statement's snapshot: read it now.
        None => get(pool, app, username)
            .await?
            .ok_or_else(|| sqlx::Error::RowNotFound.into()),
    }
}
