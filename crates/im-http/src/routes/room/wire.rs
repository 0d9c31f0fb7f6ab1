//! Request and response types of the shared room endpoints.

use crate::envelope_schema;
use crate::lenient;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct UsernamesBody {
    /// Usernames (at most 60 by default, `limits.batch_add`).
    #[serde(default)]
    #[schema(required = true, schema_with = crate::openapi::username_batch_schema)]
    pub usernames: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MuteBody {
    /// Members to mute (at most 60 by default, `limits.batch_add`).
    #[serde(default)]
    #[schema(required = true, schema_with = crate::openapi::username_batch_schema)]
    pub usernames: Option<Vec<Value>>,
    /// Milliseconds from now, or `-1` for until 4638873600000. A numeric string is accepted.
    #[serde(default)]
    #[schema(required = true, schema_with = crate::openapi::mute_duration_schema)]
    pub mute_duration: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAdminBody {
    /// A member to make admin.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub newadmin: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnnouncementBody {
    /// The new announcement (`""` clears it), at most 512 characters by default
    /// (`limits.announcement_chars`; longer is 403).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false)]
    pub announcement: Option<String>,
}

/// `{"owner": name}` or `{"member": name}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Affiliation {
    Owner(String),
    Member(String),
}

impl Affiliation {
    pub(crate) fn of(name: String, role: i16) -> Self {
        if role == 2 {
            Self::Owner(name)
        } else {
            Self::Member(name)
        }
    }
}

/// A member page: `{owner}`/`{member}` objects (page form), or plain names (cursor form).
/// Documentation only. An empty page (`[]`) is described by the names branch, so that exactly
/// one branch matches every answer.
#[derive(Serialize)]
pub struct MemberList;

impl utoipa::PartialSchema for MemberList {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(Affiliation::name()))
                    .min_items(Some(1))
                    .description(Some("Page form: the owner first, then members in join order")),
            )
            .item(
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(
                        "Cursor form: usernames, the owner first (also an empty page of either form)",
                    )),
            )
            .description(Some(
                "`{owner}`/`{member}` objects (page form) or usernames (cursor form)",
            ))
            .into()
    }
}

impl ToSchema for MemberList {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            Affiliation::name().into_owned(),
            <Affiliation as utoipa::PartialSchema>::schema(),
        ));
        <Affiliation as ToSchema>::schemas(schemas);
    }
}

/// One user's result in a membership operation.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResult {
    pub result: bool,
    pub action: &'static str,
    /// Why it was not applied (`result: false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<String>,
    pub user: String,
    /// The room: `id` (chatroom member add/remove), `chatroomid` (chatroom blocks, whitelist)
    /// or `groupid` (groups).
    #[serde(flatten)]
    pub room: super::RoomIds,
}

/// One result (one name without a comma) or an array of them (a comma list).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum MemberResultOneOrMany {
    One(MemberResult),
    Many(Vec<MemberResult>),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddedMembers {
    pub newmembers: Vec<String>,
    pub action: &'static str,
    /// `id` for chatrooms, `groupid` for groups.
    #[serde(flatten)]
    pub room: super::RoomIds,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminResult {
    /// `success`.
    pub result: &'static str,
    /// The new admin (add).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub newadmin: Option<String>,
    /// The former admin (remove).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub oldadmin: Option<String>,
}

/// A mute: listed (`expire`, `user`), set (`result`, `expire` or `reason`, `user`) or lifted
/// (`result`, `user`).
#[derive(Debug, Serialize, ToSchema)]
pub struct MuteEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub result: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<String>,
    /// Expiry, ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub expire: Option<i64>,
    pub user: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MuteFlag {
    pub mute: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementData {
    pub announcement: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementResult {
    pub id: String,
    pub result: bool,
}

envelope_schema!(MembersEnvelope, entities = [], {
    pub data: MemberList,
    pub count: i64,
    /// Cursor form only: present when another page exists.
    #[schema(nullable = false)]
    pub cursor: Option<String>,
});
envelope_schema!(NamesEnvelope, entities = [], {
    pub data: Vec<String>,
    pub count: i64,
});
envelope_schema!(MemberResultEnvelope, entities = [], {
    pub data: MemberResult,
});
envelope_schema!(MemberResultsEnvelope, entities = [], {
    pub data: Vec<MemberResult>,
});
envelope_schema!(MemberResultOneOrManyEnvelope, entities = [], {
    pub data: MemberResultOneOrMany,
});
envelope_schema!(AddedEnvelope, entities = [], {
    pub data: AddedMembers,
});
envelope_schema!(AdminEnvelope, entities = [], {
    pub data: AdminResult,
});
envelope_schema!(MuteListEnvelope, entities = [], {
    pub data: Vec<MuteEntry>,
    pub count: i64,
});
envelope_schema!(MutesEnvelope, entities = [], {
    pub data: Vec<MuteEntry>,
});
envelope_schema!(MuteFlagEnvelope, entities = [], {
    pub data: MuteFlag,
});
envelope_schema!(AnnouncementEnvelope, entities = [], {
    pub data: AnnouncementData,
});
envelope_schema!(AnnouncementSetEnvelope, entities = [], {
    pub data: AnnouncementResult,
});
