//! Group shared files: their rows, and keeping rows and objects in step.
//!
//! A row is inserted only once its object is stored (the caller removes the object when the
//! insert fails). Deleting rows, by whatever path (a file, its group, the group's owner, the
//! app), leaves their object keys in `file_tombstones` in the same transaction (a trigger);
//! [`reap`] removes those objects after the commit, and [`sweep`] on start also removes objects
//! whose row never came.

use crate::error::StoreResult;
use crate::objects::{self, Objects};
use crate::Db;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use im_domain::callbacks::{self, Operation, Operator, Payload, RoomEvent};
use im_domain::files::{check_cap, file_not_found};
use im_domain::room::{self, RoomId, RoomKind};
use im_domain::Username;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

const KIND: RoomKind = RoomKind::Group;

/// A file row.
#[derive(Debug, Clone, FromRow)]
pub struct FileRow {
    pub group_id: i64,
    pub file_id: Uuid,
    pub name: String,
    pub owner: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub object_key: String,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "group_id, file_id, name, owner, size, content_type, sha256, object_key, created_at";

/// What an upload stored, to be recorded.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub file_id: Uuid,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub restricted: bool,
}

#[derive(FromRow)]
struct GroupFacts {
    owner: String,
    disabled: bool,
    is_member: bool,
    files: i64,
}

async fn group_facts(
    conn: &mut PgConnection,
    app: Uuid,
    id: RoomId,
    uploader: Option<&Username>,
    lock: bool,
) -> StoreResult<GroupFacts> {
    if lock {
        // Its own statement, so that the facts below are read after the lock is held (a
        // statement's snapshot predates its own lock wait).
        sqlx::query("select 1 from rooms where app = $1 and kind = $2 and id = $3 for update")
            .bind(app)
            .bind(KIND.as_str())
            .bind(id.get())
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query_as::<_, GroupFacts>(
        "select r.owner, r.disabled,
                exists (select 1 from room_members m
                         where m.app = $1 and m.room_id = r.id and m.username = $4) as is_member,
                (select count(*) from group_files f
                  where f.app = $1 and f.group_id = r.id) as files
           from rooms r where r.app = $1 and r.kind = $2 and r.id = $3",
    )
    .bind(app)
    .bind(KIND.as_str())
    .bind(id.get())
    .bind(uploader.map(Username::as_str).unwrap_or_default())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| room::room_not_found(id).into())
}

/// Who owns a new file: the uploading user (who must be a member) or else the group owner.
/// Also applies the rules an upload must pass: the group exists and is enabled and has room.
fn check_upload(
    id: RoomId,
    g: &GroupFacts,
    uploader: Option<&Username>,
    cap: i64,
) -> StoreResult<String> {
    room::check_enabled(id, g.disabled)?;
    if let Some(u) = uploader {
        if !g.is_member {
            return Err(im_domain::DomainError::forbidden(format!(
                "user {u} is not a member of group {id}"
            ))
            .into());
        }
    }
    check_cap(g.files, cap)?;
    Ok(uploader.map_or_else(|| g.owner.clone(), |u| u.as_str().to_owned()))
}

/// Before any byte is stored: whether an upload may go ahead. Returns the file's owner.
pub async fn check_upload_allowed(
    pool: &Db,
    app: Uuid,
    id: RoomId,
    uploader: Option<&Username>,
    cap: i64,
) -> StoreResult<String> {
    let mut conn = pool.acquire().await?;
    let g = group_facts(&mut conn, app, id, uploader, false).await?;
    check_upload(id, &g, uploader, cap)
}

/// Records a stored file, under the group lock: the rules are checked again, as the group may
/// have changed while the bytes arrived.
pub async fn insert(
    pool: &Db,
    app: Uuid,
    id: RoomId,
    uploader: Option<&Username>,
    cap: i64,
    file: &NewFile,
) -> StoreResult<FileRow> {
    let mut tx = pool.begin().await?;
    let g = group_facts(&mut tx, app, id, uploader, true).await?;
    let owner = check_upload(id, &g, uploader, cap)?;
    let row = sqlx::query_as::<_, FileRow>(&format!(
        "insert into group_files
                (app, group_id, file_id, name, owner, size, content_type, sha256, restricted, object_key)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         returning {COLUMNS}"
    ))
    .bind(app)
    .bind(id.get())
    .bind(file.file_id)
    .bind(&file.name)
    .bind(&owner)
    .bind(file.size)
    .bind(&file.content_type)
    .bind(&file.sha256)
    .bind(file.restricted)
    .bind(objects::key(app, id.get(), file.file_id))
    .fetch_one(&mut *tx)
    .await?;
    let by = uploader.map_or(Operator::App, |u| Operator::User(u.as_str().to_owned()));
    crate::outbox::record(
        &mut tx,
        app,
        &[file_event(id, file.file_id, &by, callbacks::ADD)],
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

async fn group_exists(pool: &Db, app: Uuid, id: RoomId) -> StoreResult<()> {
    let found: Option<i32> =
        sqlx::query_scalar("select 1 from rooms where app = $1 and kind = $2 and id = $3")
            .bind(app)
            .bind(KIND.as_str())
            .bind(id.get())
            .fetch_optional(pool)
            .await?;
    found
        .map(|_| ())
        .ok_or_else(|| room::room_not_found(id).into())
}

/// One page of a group's files, newest first (`offset` rows skipped, from the index).
pub async fn page(
    pool: &Db,
    app: Uuid,
    id: RoomId,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<FileRow>> {
    group_exists(pool, app, id).await?;
    Ok(sqlx::query_as::<_, FileRow>(&format!(
        "select {COLUMNS} from group_files where app = $1 and group_id = $2
          order by created_at desc, file_id limit $3 offset $4"
    ))
    .bind(app)
    .bind(id.get())
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?)
}

/// One file of a group (`raw` is the file id as sent; one that cannot be an id is not found).
pub async fn get(pool: &Db, app: Uuid, id: RoomId, raw: &str) -> StoreResult<FileRow> {
    group_exists(pool, app, id).await?;
    let Ok(file_id) = raw.parse::<Uuid>() else {
        return Err(file_not_found(raw).into());
    };
    sqlx::query_as::<_, FileRow>(&format!(
        "select {COLUMNS} from group_files where app = $1 and group_id = $2 and file_id = $3"
    ))
    .bind(app)
    .bind(id.get())
    .bind(file_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| file_not_found(raw).into())
}

/// Deletes one file's row under the group lock (a disabled group refuses it); its object is
/// left to [`reap`].
pub async fn delete(pool: &Db, app: Uuid, id: RoomId, raw: &str) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let g = group_facts(&mut tx, app, id, None, true).await?;
    room::check_enabled(id, g.disabled)?;
    let Ok(file_id) = raw.parse::<Uuid>() else {
        return Err(file_not_found(raw).into());
    };
    let gone =
        sqlx::query("delete from group_files where app = $1 and group_id = $2 and file_id = $3")
            .bind(app)
            .bind(id.get())
            .bind(file_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if gone == 0 {
        return Err(file_not_found(raw).into());
    }
    let event = file_event(id, file_id, &Operator::App, callbacks::REMOVE);
    crate::outbox::record(&mut tx, app, &[event]).await?;
    tx.commit().await?;
    Ok(())
}

/// SHARE_FILE/ADD or REMOVE of one file.
fn file_event(id: RoomId, file_id: Uuid, by: &Operator, how: &'static str) -> RoomEvent {
    RoomEvent::new(
        KIND,
        id.get(),
        Operation::ShareFile,
        by,
        Payload::Files {
            share_file: vec![file_id.to_string()],
            kind: how,
        },
    )
}

/// Removes the objects of deleted rows (left in `file_tombstones`) of `app`, or of every app
/// (cross-app: the start-up and periodic sweeps), a batch at a time, and returns how many. Safe
/// to run anywhere at any time: removing an object twice is harmless.
pub async fn reap(pool: &Db, store: &Objects, app: Option<Uuid>) -> Result<usize, String> {
    let mut total = 0;
    loop {
        let list = sqlx::query_as::<_, (Uuid, String)>(
            "select app, object_key from file_tombstones
              where ($1::uuid is null or app = $1)
              order by created_at, object_key limit 500",
        )
        .bind(app);
        // One app's (a request's) on its shard; every app's (a sweep) across shards.
        let rows = match app {
            Some(_) => list.fetch_all(pool).await,
            None => cross_app(pool, |tx| Box::pin(list.fetch_all(tx))).await,
        };
        let (apps, keys): (Vec<Uuid>, Vec<String>) =
            rows.map_err(|e| e.to_string())?.into_iter().unzip();
        if keys.is_empty() {
            return Ok(total);
        }
        store.remove(&keys).await.map_err(|e| e.to_string())?;
        total += keys.len();
        let gone = sqlx::query(
            "delete from file_tombstones
              where ($1::uuid is null or app = $1)
                and (app, object_key) in (select * from unnest($2::uuid[], $3::text[]))",
        )
        .bind(app)
        .bind(apps)
        .bind(keys);
        match app {
            Some(_) => gone.execute(pool).await.map(drop),
            None => cross_app(pool, |tx| Box::pin(gone.execute(tx)))
                .await
                .map(drop),
        }
        .map_err(|e| e.to_string())?;
    }
}

/// On start: [`reap`], then removes every object older than `grace_secs` that has no row (an
/// upload cut off between storing and recording). Returns how many objects it removed.
pub async fn sweep(pool: &Db, store: &Objects, grace_secs: u64) -> Result<usize, String> {
    let mut removed = reap(pool, store, None).await?;
    let grace = i64::try_from(grace_secs).unwrap_or(i64::MAX);
    let mut listing = store.list();
    let mut batch: Vec<String> = Vec::new();
    loop {
        let next = listing.try_next().await.map_err(|e| e.to_string())?;
        if let Some((key, age)) = &next {
            if age >= &grace && objects::parse_key(key).is_some() {
                batch.push(key.clone());
            }
        }
        if batch.len() >= 500 || (next.is_none() && !batch.is_empty()) {
            let orphans = without_rows(pool, &batch).await?;
            store.remove(&orphans).await.map_err(|e| e.to_string())?;
            removed += orphans.len();
            batch.clear();
        }
        if next.is_none() {
            return Ok(removed);
        }
    }
}

/// Runs one statement in a cross-app transaction (see [`crate::citus::cross_app`]).
async fn cross_app<'p, T, F>(pool: &'p Db, run: F) -> Result<T, sqlx::Error>
where
    F: for<'c> FnOnce(
        &'c mut sqlx::PgConnection,
    ) -> futures_util::future::BoxFuture<'c, Result<T, sqlx::Error>>,
{
    let mut tx = crate::citus::cross_app(pool).await?;
    let out = run(&mut tx).await?;
    tx.commit().await?;
    Ok(out)
}

/// The keys among `keys` that no row names.
async fn without_rows(pool: &Db, keys: &[String]) -> Result<Vec<String>, String> {
    let (mut apps, mut groups, mut files) = (Vec::new(), Vec::new(), Vec::new());
    for (a, g, f) in keys.iter().filter_map(|k| objects::parse_key(k)) {
        apps.push(a);
        groups.push(g);
        files.push(f);
    }
    let missing: Vec<(Uuid, i64, Uuid)> = cross_app(pool, |tx| {
        Box::pin(
            sqlx::query_as(
                "select k.app, k.group_id, k.file_id
               from unnest($1::uuid[], $2::bigint[], $3::uuid[]) as k(app, group_id, file_id)
              where not exists (select 1 from group_files f
                                 where f.app = k.app and f.group_id = k.group_id
                                   and f.file_id = k.file_id)",
            )
            .bind(apps)
            .bind(groups)
            .bind(files)
            .fetch_all(tx),
        )
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(missing
        .into_iter()
        .map(|(a, g, f)| objects::key(a, g, f))
        .collect())
}
