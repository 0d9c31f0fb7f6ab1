//! The two kinds of room on the wire, chatrooms and groups, for the tests written once and run
//! for both: a [`Kind`] carries every difference those tests see, and [`both_kinds!`] runs one
//! `async fn name(kind: Kind, pool: PgPool)` as the tests `name::chatroom` and `name::group`.

use crate::helpers::*;
use im_server::settings::Settings;
use serde_json::{json, Value};
use sqlx::PgPool;

pub use crate::groups::{entry, ids_of, many, now_ms, post_empty, refs, roles, strings};

/// A mute of `mute_duration: -1` lasts until this instant.
pub const FOREVER: i64 = 4_638_873_600_000;

/// What differs between chatrooms and groups on the wire, as far as the shared tests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The room noun in reasons and errors: `user: x doesn't exist in {noun}: {id}`.
    pub noun: &'static str,
    /// The URL segment: `/chatrooms/…` or `/chatgroups/…`.
    pub segment: &'static str,
    /// The name field of a create body (an update takes `name` for both).
    pub name_key: &'static str,
    /// The plural in `has joined too many {plural}!`.
    pub plural: &'static str,
    /// The room id key in the answers to a create and a delete and in the result of one member
    /// added or removed (blocks and whitelist have their own).
    pub id_key: &'static str,
    /// The room id key in block and whitelist results.
    pub list_key: &'static str,
    /// The status of `forbidden_op` for a user in the wrong state: not a member (remove, mute,
    /// block, whitelist), already a member (add) or not blocked (unblock). A blocked user, the
    /// owner and a full room are 403 for both kinds.
    pub refused: u16,
    /// The most names one batch remove takes.
    pub batch_remove: usize,
    /// The default and the largest page of the member list.
    pub member_page: (usize, usize),
    /// The `action` of the answer to `POST …/ban`.
    pub ban_action: &'static str,
    /// `maxusers` of a room created without one.
    pub default_maxusers: i64,
}

pub const CHATROOM: Kind = Kind {
    noun: "chatroom",
    segment: "chatrooms",
    name_key: "name",
    plural: "chatrooms",
    id_key: "id",
    list_key: "chatroomid",
    refused: 400,
    batch_remove: 100,
    member_page: (1000, 1000),
    ban_action: "put",
    default_maxusers: 1000,
};

pub const GROUP: Kind = Kind {
    noun: "group",
    segment: "chatgroups",
    name_key: "groupname",
    plural: "groups",
    id_key: "groupid",
    list_key: "groupid",
    refused: 403,
    batch_remove: 60,
    member_page: (10, 100),
    ban_action: "post",
    default_maxusers: 2000,
};

/// Runs each `async fn name(kind: Kind, pool: PgPool)` named as two tests over a fresh
/// database each, `name::chatroom` and `name::group`.
macro_rules! both_kinds {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[sqlx::test(migrator = "im_store::MIGRATOR")]
            async fn chatroom(pool: sqlx::PgPool) {
                super::$name($crate::kinds::CHATROOM, pool).await;
            }

            #[sqlx::test(migrator = "im_store::MIGRATOR")]
            async fn group(pool: sqlx::PgPool) {
                super::$name($crate::kinds::GROUP, pool).await;
            }
        }
    )+};
}
pub(crate) use both_kinds;

impl Kind {
    pub fn is_group(self) -> bool {
        self == GROUP
    }

    /// The other kind.
    pub fn other(self) -> Kind {
        if self.is_group() {
            CHATROOM
        } else {
            GROUP
        }
    }

    /// `/{segment}` + `path`, e.g. `kind.path("")` or `kind.path("/999999/users")`.
    pub fn path(self, path: &str) -> String {
        format!("/{}{path}", self.segment)
    }

    /// `/{segment}/{id}` + `path`.
    pub fn at(self, id: &str, path: &str) -> String {
        format!("/{}/{id}{path}", self.segment)
    }

    /// A create body with the fields this kind requires, and this name.
    pub fn body(self, name: &str, owner: &str, members: &[&str]) -> Value {
        if self.is_group() {
            json!({"groupname": name, "description": "about", "public": true,
                   "owner": owner, "members": members})
        } else {
            json!({"name": name, "description": "d", "owner": owner, "members": members})
        }
    }

    /// Creates a room from this body and returns its id.
    pub async fn create(self, app: &TestApp, body: Value) -> String {
        if self.is_group() {
            crate::groups::create_group(app, body).await
        } else {
            crate::chatrooms::create(app, body).await
        }
    }

    /// Creates a room with this owner and these members (all registered) and returns its id.
    pub async fn room(self, app: &TestApp, owner: &str, members: &[&str]) -> String {
        if self.is_group() {
            crate::groups::group(app, owner, members).await
        } else {
            crate::chatrooms::room(app, owner, members).await
        }
    }

    /// Registers the owner and the members and creates the room; returns its id.
    pub async fn setup(self, app: &TestApp, owner: &str, members: &[&str]) -> String {
        let mut all = vec![owner];
        all.extend_from_slice(members);
        app.register(&all).await;
        self.room(app, owner, members).await
    }

    /// A server over this pool with a room of this owner and these members; the room's id.
    pub async fn start(self, pool: PgPool, owner: &str, members: &[&str]) -> (TestApp, String) {
        let app = TestApp::spawn(pool).await;
        let id = self.setup(&app, owner, members).await;
        (app, id)
    }

    /// The name a room gets from [`Kind::room`].
    pub fn room_name(self) -> &'static str {
        if self.is_group() {
            "group"
        } else {
            "room"
        }
    }

    /// Caps how many rooms of this kind one user may be in.
    pub fn limit_joins(self, s: &mut Settings, n: i64) {
        if self.is_group() {
            s.limits.groups_per_user = n;
        } else {
            s.limits.chatrooms_per_user = n;
        }
    }

    /// `can not join this group, reason:user {user} has joined too many {plural}!`
    pub fn too_many(self, user: &str) -> String {
        format!(
            "can not join this group, reason:user {user} has joined too many {}!",
            self.plural
        )
    }

    /// The ids of the rooms of this kind a user is in, newest join first (the first page).
    pub async fn joined(self, app: &TestApp, user: &str) -> Vec<String> {
        if self.is_group() {
            let r = app.get(&format!("/chatgroups/users/{user}")).await;
            let b = assert_envelope(&r, "get");
            let ids = ids_of(&b["entities"], "groupId");
            assert_eq!(b["total"], ids.len(), "{b}");
            ids
        } else {
            let r = app.get(&format!("/users/{user}/joined_chatrooms")).await;
            let b = assert_envelope(&r, "get");
            let ids = ids_of(&b["data"], "id");
            assert_eq!(b["count"], ids.len(), "{b}");
            ids
        }
    }

    /// How many rooms the list of all rooms of this kind shows.
    pub async fn total(self, app: &TestApp) -> usize {
        let r = app.get(&self.path("?limit=100")).await;
        assert_envelope(&r, "get")["data"].as_array().unwrap().len()
    }

    /// The details of one room.
    pub async fn details(self, app: &TestApp, id: &str) -> Value {
        let r = app.get(&self.at(id, "")).await;
        let b = assert_envelope(&r, "get");
        assert_eq!(b["count"], 1, "{b}");
        b["data"][0].clone()
    }

    /// `affiliations_count` from the details.
    pub async fn count(self, app: &TestApp, id: &str) -> i64 {
        self.details(app, id).await["affiliations_count"]
            .as_i64()
            .unwrap()
    }

    /// The names in the details' affiliations, owner first.
    pub async fn members(self, app: &TestApp, id: &str) -> Vec<String> {
        self.details(app, id).await["affiliations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let o = a.as_object().unwrap();
                assert_eq!(o.len(), 1, "{a}");
                o.values().next().unwrap().as_str().unwrap().to_owned()
            })
            .collect()
    }

    /// `POST …/users/{user}` with no body.
    pub async fn add(self, app: &TestApp, id: &str, user: &str) -> Reply {
        post_empty(app, &self.at(id, &format!("/users/{user}"))).await
    }

    /// `POST …/users` `{usernames}`.
    pub async fn add_batch(self, app: &TestApp, id: &str, usernames: Value) -> Reply {
        app.post(&self.at(id, "/users"), json!({"usernames": usernames}))
            .await
    }

    /// `DELETE …/users/{users}` (one name or several joined by a comma).
    pub async fn remove(self, app: &TestApp, id: &str, users: &str) -> Reply {
        app.delete(&self.at(id, &format!("/users/{users}"))).await
    }

    pub async fn make_admin(self, app: &TestApp, id: &str, user: &str) -> Reply {
        app.post(&self.at(id, "/admin"), json!({"newadmin": user}))
            .await
    }

    /// The admins, in the order listed, with a matching count.
    pub async fn admins(self, app: &TestApp, id: &str) -> Vec<String> {
        let r = app.get(&self.at(id, "/admin")).await;
        let b = assert_envelope(&r, "get");
        let list = strings(&b["data"]);
        assert_eq!(b["count"], list.len(), "{b}");
        list
    }

    /// The lengths of the admin, mute and whitelist lists.
    pub async fn lists(self, app: &TestApp, id: &str) -> Vec<usize> {
        let mut out = Vec::new();
        for p in ["/admin", "/mute", "/white/users"] {
            let r = app.get(&self.at(id, p)).await;
            out.push(assert_envelope(&r, "get")["data"].as_array().unwrap().len());
        }
        out
    }

    pub async fn mute(self, app: &TestApp, id: &str, body: Value) -> Reply {
        app.post(&self.at(id, "/mute"), body).await
    }

    /// Mutes these users for this duration (ms, or -1 for ever).
    pub async fn mute_for(self, app: &TestApp, id: &str, users: &[&str], duration: Value) -> Reply {
        let body = json!({"usernames": users, "mute_duration": duration});
        self.mute(app, id, body).await
    }

    /// The listed mutes as (user, expire), sorted by user.
    pub async fn mutes(self, app: &TestApp, id: &str) -> Vec<(String, i64)> {
        let r = app.get(&self.at(id, "/mute")).await;
        let mut out: Vec<(String, i64)> = assert_envelope(&r, "get")["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["user"].as_str().unwrap().to_owned(),
                    e["expire"].as_i64().unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    pub async fn block(self, app: &TestApp, id: &str, user: &str) -> Reply {
        post_empty(app, &self.at(id, &format!("/blocks/users/{user}"))).await
    }

    /// A list answered as plain names with a matching count, sorted.
    async fn name_list(self, app: &TestApp, id: &str, path: &str) -> Vec<String> {
        let r = app.get(&self.at(id, path)).await;
        let b = assert_envelope(&r, "get");
        let mut list = strings(&b["data"]);
        assert_eq!(b["count"], list.len(), "{b}");
        list.sort();
        list
    }

    pub async fn blocks(self, app: &TestApp, id: &str) -> Vec<String> {
        self.name_list(app, id, "/blocks/users").await
    }

    pub async fn whites(self, app: &TestApp, id: &str) -> Vec<String> {
        self.name_list(app, id, "/white/users").await
    }
}

/// Follows the `cursor` of a list from its first page `path` (with a `limit`) to the end, checking
/// each page's `count`. Answers the page count and the ids seen: the strings of `data`, or the
/// `key` of each entry.
pub async fn walk_cursor(app: &TestApp, path: &str, key: Option<&str>) -> (usize, Vec<String>) {
    let ids = |data: &Value| match key {
        Some(k) => ids_of(data, k),
        None => strings(data),
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    let (mut pages, mut seen, mut next) = (0, Vec::new(), path.to_owned());
    loop {
        let r = app.get(&next).await;
        let b = assert_envelope(&r, "get");
        pages += 1;
        let page = ids(&b["data"]);
        assert!(!page.is_empty(), "{b}");
        assert_eq!(b["count"], page.len(), "{b}");
        seen.extend(page);
        match b.get("cursor") {
            Some(c) => next = format!("{path}{sep}cursor={}", c.as_str().unwrap()),
            None => return (pages, seen),
        }
        assert!(pages < 10, "the cursor never ends");
    }
}
