//! Users leaving everything, inside the transaction that deletes them: the rooms they own go,
//! and their memberships everywhere else, keeping member counts equal to the rows.

use crate::error::StoreResult;
use crate::outbox;
use im_domain::callbacks::{self, Operation, Operator, RoomEvent};
use im_domain::room::RoomKind;
use sqlx::PgConnection;
use uuid::Uuid;

/// Inside the caller's transaction, for users about to be deleted: deletes the rooms they own
/// (a thread's owner is its creator: its threads go too) and removes them from every other room
/// and thread, keeping member counts equal to the rows. The users are locked first: while locked
/// nobody can add them anywhere, so the set of rooms they are in cannot change under us. Rooms
/// are locked by family, each group before its threads, the order thread writes take them in.
pub async fn purge_users(
    conn: &mut PgConnection,
    app: Uuid,
    usernames: &[String],
) -> StoreResult<()> {
    sqlx::query(
        "select 1 from users where app = $1 and username = any($2) order by username for update",
    )
    .bind(app)
    .bind(usernames)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "select 1 from rooms r
          where r.app = $1
            and exists (select 1 from room_members m
                         where m.app = r.app and m.room_id = r.id and m.username = any($2))
          order by coalesce(r.parent_id, r.id), r.parent_id is not null, r.id for update",
    )
    .bind(app)
    .bind(usernames)
    .execute(&mut *conn)
    .await?;
    record_departures(conn, app, usernames).await?;
    // `owner is not null` (true of every row) lets the owner index serve the statement: it is
    // partial on it, so that lookups by id never take it.
    sqlx::query("delete from rooms where app = $1 and owner = any($2) and owner is not null")
        .bind(app)
        .bind(usernames)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "update rooms r set member_count = r.member_count - c.n, modified_at = now()
           from (select room_id, count(*)::int as n from room_members
                  where app = $1 and username = any($2) group by room_id) c
          where r.app = $1 and r.id = c.room_id",
    )
    .bind(app)
    .bind(usernames)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// With a rule that takes them, the callback events of the users' departure: each group and
/// chatroom they own is deleted with its members (`LEAVE`/`DELETE`, then `DELETE`), and they
/// leave every other one (`LEAVE`/`KICK`, the app being the operator). Threads have no events.
async fn record_departures(
    conn: &mut PgConnection,
    app: Uuid,
    usernames: &[String],
) -> StoreResult<()> {
    let kinds = [RoomKind::Group, RoomKind::Chatroom];
    let ops = [Operation::Leave, Operation::Delete];
    if outbox::wanted_of(conn, app, &kinds, &ops).await?.is_none() {
        return Ok(());
    }
    let rooms: Vec<(i64, String, bool, Vec<String>)> = sqlx::query_as(
        "select r.id, r.kind, r.owner = any($2) as owned,
                case when r.owner = any($2)
                     then array(select m.username from room_members m
                                 where m.app = $1 and m.room_id = r.id and m.pos >= 0
                                 order by m.pos)
                     else array(select m.username from room_members m
                                 where m.app = $1 and m.room_id = r.id and m.username = any($2)
                                 order by m.username)
                end
           from rooms r
          where r.app = $1 and r.kind in ('group', 'chatroom')
            and ((r.owner = any($2) and r.owner is not null)
                 or exists (select 1 from room_members m
                             where m.app = $1 and m.room_id = r.id and m.username = any($2)))
          order by r.id",
    )
    .bind(app)
    .bind(usernames)
    .fetch_all(&mut *conn)
    .await?;
    let by = Operator::App;
    let mut events = Vec::new();
    for (id, kind, owned, names) in rooms {
        let kind = if kind == "group" {
            RoomKind::Group
        } else {
            RoomKind::Chatroom
        };
        if owned {
            events.extend(callbacks::room_deleted(kind, id, &by, &names));
        } else {
            events.extend(RoomEvent::members(
                kind,
                id,
                Operation::Leave,
                &by,
                callbacks::LEAVE_KICK,
                &names,
                None,
            ));
        }
    }
    outbox::record(conn, app, &events).await
}
