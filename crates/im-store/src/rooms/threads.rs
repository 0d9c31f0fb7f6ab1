//! Threads: rooms of kind `thread` whose parent is a group. Membership is the room core's
//! (`room_members` rows, [`members_after`], [`remove_members`]'s plan, counts and per-user
//! results); here is only what a sub-room adds: its group.
//!
//! Lock order: every thread write takes the group row `for share`, then the thread row `for
//! update` (after the users, as everywhere). A group membership change takes the group row `for
//! update`, so it waits for thread writes in flight and they wait for it: a join never sees a
//! group member that a concurrent removal is taking out, and the removal's cascade sees every
//! join that committed before it.

use super::*;

/// A thread as listed.
#[derive(Debug, Clone, FromRow)]
pub struct Thread {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub msg_id: String,
    pub group_id: i64,
    pub created_at: DateTime<Utc>,
    /// When the listed user joined it (user lists); its creation time otherwise.
    pub joined_at: DateTime<Utc>,
}

/// A [`Thread`] read under an outer join: all of it, or none of it.
#[derive(FromRow)]
struct ThreadRow {
    id: Option<i64>,
    name: Option<String>,
    owner: Option<String>,
    msg_id: Option<String>,
    group_id: Option<i64>,
    created_at: Option<DateTime<Utc>>,
    joined_at: Option<DateTime<Utc>>,
}

impl From<ThreadRow> for Option<Thread> {
    fn from(r: ThreadRow) -> Self {
        Some(Thread {
            id: r.id?,
            name: r.name?,
            owner: r.owner?,
            msg_id: r.msg_id?,
            group_id: r.group_id?,
            created_at: r.created_at?,
            joined_at: r.joined_at?,
        })
    }
}

const KIND: RoomKind = RoomKind::Thread;

const THREAD_COLUMNS: &str =
    "r.id, r.name, r.owner, coalesce(r.msg_id, '') as msg_id, r.parent_id as group_id, r.created_at";

/// A new thread's fields, already validated.
pub struct NewThread {
    pub group: RoomId,
    pub name: String,
    pub msg_id: String,
    pub owner: Username,
}

/// Locks a group for a thread write (`for share`): it must exist and be enabled.
async fn lock_group(conn: &mut PgConnection, app: Uuid, group: RoomId) -> StoreResult<()> {
    let disabled: Option<bool> = sqlx::query_scalar(
        "select disabled from rooms where app = $1 and kind = 'group' and id = $2 for share",
    )
    .bind(app)
    .bind(group.get())
    .fetch_optional(&mut *conn)
    .await?;
    match disabled {
        None => Err(room::room_not_found(group).into()),
        Some(d) => Ok(room::check_enabled(group, d)?),
    }
}

/// Locks a thread for a write, its group first; returns the thread and its group.
async fn lock_thread(
    conn: &mut PgConnection,
    app: Uuid,
    id: RoomId,
) -> StoreResult<(Room, RoomId)> {
    let parent: Option<i64> = sqlx::query_scalar(
        "select parent_id from rooms where app = $1 and kind = 'thread' and id = $2",
    )
    .bind(app)
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await?;
    let group = RoomId::new(parent.ok_or_else(|| room::not_found(KIND, id))?);
    lock_group(conn, app, group).await?;
    Ok((lock(conn, app, KIND, id).await?, group))
}

/// Whether each named user is a member of the group, in the order given.
async fn group_members(
    conn: &mut PgConnection,
    app: Uuid,
    group: RoomId,
    names: &[Username],
) -> StoreResult<Vec<bool>> {
    Ok(sqlx::query_scalar(
        "select m.found is not null
           from unnest($3::text[]) with ordinality as n(name, ord)
           left join lateral (select true as found from room_members m
                               where m.app = $1 and m.room_id = $2 and m.username = n.name
                               limit 1) m on true
          order by n.ord",
    )
    .bind(app)
    .bind(group.get())
    .bind(strings(names))
    .fetch_all(&mut *conn)
    .await?)
}

/// Creates a thread in a group with its owner as first member, within the app's thread cap.
pub async fn create_thread(
    pool: &Db,
    app: Uuid,
    new: NewThread,
    limits: &Limits,
) -> StoreResult<RoomId> {
    let mut tx = pool.begin().await?;
    let owner = std::slice::from_ref(&new.owner);
    lock_users(&mut tx, app, &strings(owner), UserLock::Join).await?;
    lock_group(&mut tx, app, new.group).await?;
    let mut facts = user_facts(&mut tx, app, RoomKind::Group, new.group.get(), owner).await?;
    room::plan_thread_create(new.group, &facts.remove(0))?;
    let id: i64 = sqlx::query_scalar(
        "insert into rooms (app, kind, name, owner, maxusers, parent_id, msg_id)
         values ($1, 'thread', $2, $3, $4, $5, $6) returning id",
    )
    .bind(app)
    .bind(&new.name)
    .bind(new.owner.as_str())
    .bind(i32::MAX)
    .bind(new.group.get())
    .bind(&new.msg_id)
    .fetch_one(&mut *tx)
    .await?;
    // The insert counted it, under the counter row's lock until commit.
    let n: i64 = sqlx::query_scalar(
        "select n::bigint from app_room_counts where app = $1 and kind = 'thread'",
    )
    .bind(app)
    .fetch_one(&mut *tx)
    .await?;
    room::check_thread_cap(n, limits.threads_per_app)?;
    insert_members(&mut tx, app, KIND, id, owner).await?;
    tx.commit().await?;
    Ok(RoomId::new(id))
}

/// Renames a thread.
pub async fn rename_thread(pool: &Db, app: Uuid, id: RoomId, name: &str) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    lock_thread(&mut tx, app, id).await?;
    sqlx::query("update rooms set name = $3, modified_at = now() where app = $1 and id = $2")
        .bind(app)
        .bind(id.get())
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a thread and its memberships.
pub async fn delete_thread(pool: &Db, app: Uuid, id: RoomId) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    lock_thread(&mut tx, app, id).await?;
    sqlx::query("delete from rooms where app = $1 and id = $2")
        .bind(app)
        .bind(id.get())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds members of the group to a thread (the room core's add, with the group rule first).
pub async fn join_thread(
    pool: &Db,
    app: Uuid,
    id: RoomId,
    names: &[Username],
) -> StoreResult<AddPlan> {
    let mut tx = pool.begin().await?;
    lock_users(&mut tx, app, &strings(names), UserLock::Join).await?;
    let (thread, group) = lock_thread(&mut tx, app, id).await?;
    let users = user_facts(&mut tx, app, KIND, id.get(), names).await?;
    let in_group = group_members(&mut tx, app, group, names).await?;
    let plan = room::plan_thread_join(&facts(KIND, &thread), group, &users, &in_group)?;
    insert_members(&mut tx, app, KIND, id.get(), &plan.add).await?;
    tx.commit().await?;
    Ok(plan)
}

/// Removes members from a thread: a result per user (the room core's removal plan).
pub async fn kick_from_thread(
    pool: &Db,
    app: Uuid,
    id: RoomId,
    names: &[Username],
) -> StoreResult<Vec<Outcome>> {
    let mut tx = pool.begin().await?;
    let (thread, _) = lock_thread(&mut tx, app, id).await?;
    let users = user_facts(&mut tx, app, KIND, id.get(), names).await?;
    let outcomes = room::plan_remove(&facts(KIND, &thread), &users, false)?;
    delete_members(&mut tx, app, KIND, id.get(), &applied(&outcomes)).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Which threads a list shows.
#[derive(Debug, Clone)]
pub enum ThreadScope {
    /// Every thread of the app, by creation.
    App,
    /// The threads a user is in, by join time.
    User(Username),
    /// The threads a user is in within one group, by join time.
    UserInGroup(Username, RoomId),
    /// Every thread of one group, by creation.
    Group(RoomId),
}

/// A page of threads by id: the app's (`group` none) or one group's, under a probe of the group;
/// one statement, a range of the threads-by-id or threads-by-parent index.
async fn threads_by_id_page(
    pool: &Db,
    app: Uuid,
    group: Option<RoomId>,
    after: i64,
    limit: i64,
    (cmp, dir): (&str, &str),
) -> StoreResult<(Vec<Thread>, bool)> {
    #[derive(FromRow)]
    struct Row {
        group_found: bool,
        #[sqlx(flatten)]
        thread: ThreadRow,
    }
    let which = if group.is_some() {
        "r.parent_id = $4"
    } else {
        "r.kind = 'thread' and $4::bigint is null"
    };
    let rows = sqlx::query_as::<_, Row>(&format!(
        "select f.group_found, t.*
           from (select ($4::bigint is null
                         or exists (select 1 from rooms
                                     where app = $1 and kind = 'group' and id = $4)) as group_found) f
           left join lateral (
               select {THREAD_COLUMNS}, r.created_at as joined_at from rooms r
                where r.app = $1 and {which} and r.id {cmp} $3
                order by r.id {dir} limit $2) t
             on f.group_found
          order by t.id {dir}"
    ))
    .bind(app)
    .bind(limit + 1)
    .bind(after)
    .bind(group.map(RoomId::get))
    .fetch_all(pool)
    .await?;
    if let (Some(r), Some(g)) = (rows.first(), group) {
        if !r.group_found {
            return Err(room::not_found(RoomKind::Group, g).into());
        }
    }
    let rows: Vec<Thread> = rows.into_iter().filter_map(|r| r.thread.into()).collect();
    Ok(crate::split_page(rows, limit))
}

/// A keyset position: (time in µs since the epoch, thread id).
pub type ThreadKey = (i64, i64);

/// One page of threads after `after`, newest first or oldest first, and whether more follow.
/// Every page is one range of an index in the order read, so a page costs the same at any
/// position.
pub async fn threads_page(
    pool: &Db,
    app: Uuid,
    scope: &ThreadScope,
    after: Option<ThreadKey>,
    limit: i64,
    newest_first: bool,
) -> StoreResult<(Vec<Thread>, bool)> {
    let (cmp, dir) = if newest_first {
        ("<", "desc")
    } else {
        (">", "asc")
    };
    let start = if newest_first {
        (i64::MAX, i64::MAX)
    } else {
        (i64::MIN, i64::MIN)
    };
    let (t, id) = after.unwrap_or(start);
    let (user, group) = match scope {
        ThreadScope::UserInGroup(u, g) => (u, Some(*g)),
        ThreadScope::User(u) => (u, None),
        ThreadScope::App => {
            return threads_by_id_page(pool, app, None, id, limit, (cmp, dir)).await
        }
        ThreadScope::Group(g) => {
            return threads_by_id_page(pool, app, Some(*g), id, limit, (cmp, dir)).await
        }
    };
    let which = if group.is_some() {
        "m.parent_id = $6"
    } else {
        "m.kind = 'thread' and $6::bigint is null"
    };
    // One statement: whether the user (and the group) exist, and the page under that probe. The
    // page is cut from the index alone, then only its threads are read. The time is clamped so
    // that the interval arithmetic stays in range for any cursor.
    #[derive(FromRow)]
    struct Row {
        user_found: bool,
        group_found: bool,
        #[sqlx(flatten)]
        thread: ThreadRow,
    }
    let rows = sqlx::query_as::<_, Row>(&format!(
        "select f.user_found, f.group_found, t.*
           from (select exists (select 1 from users where app = $1 and username = $5) as user_found,
                        ($6::bigint is null
                         or exists (select 1 from rooms
                                     where app = $1 and kind = 'group' and id = $6)) as group_found) f
           left join lateral (
               select {THREAD_COLUMNS}, p.joined_at
                 from (select m.room_id, m.joined_at from room_members m
                        where m.app = $1 and m.username = $5 and {which}
                          and (m.joined_at, m.room_id) {cmp}
                              (timestamptz 'epoch' + $4 * interval '1 microsecond', $3)
                        order by m.joined_at {dir}, m.room_id {dir} limit $2) p
                 join rooms r on r.app = $1 and r.id = p.room_id) t
             on f.user_found and f.group_found
          order by t.joined_at {dir}, t.id {dir}"
    ))
    .bind(app)
    .bind(limit + 1)
    .bind(id)
    .bind(t.clamp(-(1 << 52), 1 << 52))
    .bind(user.as_str())
    .bind(group.map(RoomId::get))
    .fetch_all(pool)
    .await?;
    if let Some(r) = rows.first() {
        if !r.user_found {
            return Err(room::user_not_found(user.as_str()).into());
        }
        if let (false, Some(g)) = (r.group_found, group) {
            return Err(room::not_found(RoomKind::Group, g).into());
        }
    }
    let rows: Vec<Thread> = rows.into_iter().filter_map(|r| r.thread.into()).collect();
    Ok(crate::split_page(rows, limit))
}
