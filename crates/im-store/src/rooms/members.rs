//! Members and admins.

use super::*;
use im_domain::callbacks::{self, Operation, Operator, RoomEvent};

/// A member as listed: name, role and list position.
#[derive(Debug, Clone, FromRow)]
pub struct Member {
    pub username: String,
    pub role: i16,
    pub pos: i64,
}

/// Members by page number (owner first). Errors with `service_resource_not_found` for an
/// unknown room.
pub async fn members_by_page(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<Member>> {
    page(pool, app, kind, id, -1, offset, limit).await
}

/// Members after the keyset position `after` (owner first), and whether more follow.
pub async fn members_after(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<(Vec<Member>, bool)> {
    let rows = page(pool, app, kind, id, after.unwrap_or(-1), 0, limit + 1).await?;
    Ok(crate::split_page(rows, limit))
}

/// One page of a room's members (positions after `after`, skipping `offset`), and whether the
/// room exists, in one statement: a room with no member in the page gives one row without a
/// member; an unknown room gives none, and is answered with `service_resource_not_found`.
///
/// A page that skips nothing (every cursor page, the first page by number) starts right after
/// `after`. Otherwise where the page starts is found on the `(app, room_id, pos)` index alone
/// (an index-only scan once the table is vacuumed), and only the page's own rows are read from
/// the table. Every part says `pos >= 0`: the index is partial on it. A page by
/// number (`after` < 0) in the back half of the room counts its way from the last member
/// backwards: the room's `member_count`, read in the same snapshot, is exactly its rows. So the
/// last page of a big room costs what the first does, and no page skips more than half the room.
async fn page(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    after: i64,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<Member>> {
    #[derive(FromRow)]
    struct Row {
        username: Option<String>,
        role: Option<i16>,
        pos: Option<i64>,
    }
    let rows = sqlx::query_as::<_, Row>(
        "select m.username, m.role, m.pos
           from (select member_count::bigint as n from rooms
                  where app = $1 and kind = $2 and id = $3 limit 1) r
           left join lateral (
               select username, role, pos from room_members
                where app = $1 and room_id = $3 and pos >= 0
                  and pos >= case
                      when $5 = 0 then $4 + 1
                      when $4 >= 0 or $5 <= r.n / 2 then
                          (select pos from room_members
                            where app = $1 and room_id = $3 and pos >= 0 and pos > $4
                            order by pos offset $5 limit 1)
                      when $5 < r.n then
                          (select pos from room_members
                            where app = $1 and room_id = $3 and pos >= 0 and pos > $4
                            order by pos desc offset r.n - 1 - $5 limit 1)
                      end
                order by pos limit $6) m
             on true
          order by m.pos",
    )
    .bind(app)
    .bind(kind.as_str())
    .bind(id.get())
    .bind(after)
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        let what = match kind {
            RoomKind::Thread => "thread",
            _ => "group",
        };
        return Err(
            DomainError::ServiceResourceNotFound(format!("do not find this {what}:{id}")).into(),
        );
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Member {
                username: r.username?,
                role: r.role?,
                pos: r.pos?,
            })
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Admins

pub async fn admins(pool: &Db, app: Uuid, kind: RoomKind, id: RoomId) -> StoreResult<Vec<String>> {
    require(pool, app, kind, id).await?;
    Ok(sqlx::query_scalar(
        "select username from room_members
          where app = $1 and room_id = $2 and role = 1 and pos >= 0 order by pos",
    )
    .bind(app)
    .bind(id.get())
    .fetch_all(pool)
    .await?)
}

async fn role_of(
    conn: &mut PgConnection,
    app: Uuid,
    room_id: i64,
    name: &Username,
) -> StoreResult<Option<i16>> {
    Ok(sqlx::query_scalar(
        "select role from room_members where app = $1 and room_id = $2 and username = $3",
    )
    .bind(app)
    .bind(room_id)
    .bind(name.as_str())
    .fetch_optional(&mut *conn)
    .await?)
}

/// Promotes a member to admin (`promote`, at most `max_admins`) or demotes an admin.
pub async fn set_admin(
    pool: &Db,
    app: Uuid,
    kind: RoomKind,
    id: RoomId,
    name: &Username,
    promote: bool,
    max_admins: i64,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, app, kind, id).await?;
    let f = facts(kind, &current);
    let users = user_facts(&mut tx, app, kind, id.get(), std::slice::from_ref(name)).await?;
    let is_admin = role_of(&mut tx, app, id.get(), name).await? == Some(1);
    if promote {
        let count: i64 = sqlx::query_scalar(
            "select count(*) from room_members where app = $1 and room_id = $2 and role = 1",
        )
        .bind(app)
        .bind(id.get())
        .fetch_one(&mut *tx)
        .await?;
        room::plan_add_admin(&f, &users[0], is_admin, count, max_admins)?;
    } else {
        room::plan_remove_admin(&f, &users[0], is_admin)?;
    }
    sqlx::query(
        "update room_members set role = $4 where app = $1 and room_id = $2 and username = $3",
    )
    .bind(app)
    .bind(id.get())
    .bind(name.as_str())
    .bind(i16::from(promote))
    .execute(&mut *tx)
    .await?;
    let how = if promote {
        callbacks::ADD
    } else {
        callbacks::REMOVE
    };
    let events = RoomEvent::admins(
        kind,
        id.get(),
        Operation::Admin,
        &Operator::App,
        how,
        &[name.as_str().to_owned()],
    );
    crate::outbox::record(&mut tx, app, &events).await?;
    tx.commit().await?;
    Ok(())
}
