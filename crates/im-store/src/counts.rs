//! How many users, groups, chatrooms and threads an app holds (the console's overview).

use crate::error::StoreResult;
use crate::Db;
use uuid::Uuid;

/// An app's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Counts {
    pub users: i64,
    pub groups: i64,
    pub chatrooms: i64,
    pub threads: i64,
}

/// One statement. Users, groups and chatrooms are counted on their indexes (an index-only
/// range of the app, so the cost grows with the app's size, never with other apps'); threads
/// come from the counter the room triggers keep for the thread cap.
pub async fn of_app(pool: &Db, app: Uuid) -> StoreResult<Counts> {
    Ok(sqlx::query_as::<_, Counts>(
        "select (select count(*) from users where app = $1) as users,
                (select count(*) from rooms where app = $1 and kind = 'group') as groups,
                (select count(*) from rooms where app = $1 and kind = 'chatroom') as chatrooms,
                coalesce((select n::bigint from app_room_counts
                           where app = $1 and kind = 'thread'), 0) as threads",
    )
    .bind(app)
    .fetch_one(pool)
    .await?)
}
