//! Request and response types of the shared room endpoints.

use crate::envelope_schema;
use crate::lenient;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct UsernamesBody {
    /// Usernames (strings or numbers).
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub usernames: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MuteBody {
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub usernames: Option<Vec<Value>>,
    /// Milliseconds from now; `-1` means until 4638873600000. A numeric string is accepted.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub mute_duration: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAdminBody {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub newadmin: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnnouncementBody {
    /// At most 512 characters.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub announcement: Option<String>,
}

/// `{"owner": name}` or `{"member": name}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Affiliation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

impl Affiliation {
    pub(crate) fn of(name: String, role: i16) -> Self {
        if role == 2 {
            Self {
                owner: Some(name),
                member: None,
            }
        } else {
            Self {
                owner: None,
                member: Some(name),
            }
        }
    }
}

/// One user's result in a membership operation.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResult {
    pub result: bool,
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub user: String,
    /// The room: `id` (chatroom member add/remove), `chatroomid` (chatroom blocks, whitelist)
    /// or `groupid`.
    #[serde(flatten)]
    pub room: super::RoomIds,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newadmin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldadmin: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MuteEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Expiry, ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
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

envelope_schema!(MemberPageEnvelope, entities = String, data = Vec<Affiliation>);
envelope_schema!(NamesEnvelope, entities = String, data = Vec<String>);
envelope_schema!(MemberResultEnvelope, entities = String, data = MemberResult);
envelope_schema!(MemberResultsEnvelope, entities = String, data = Vec<MemberResult>);
envelope_schema!(AddedEnvelope, entities = String, data = AddedMembers);
envelope_schema!(AdminEnvelope, entities = String, data = AdminResult);
envelope_schema!(MutesEnvelope, entities = String, data = Vec<MuteEntry>);
envelope_schema!(MuteFlagEnvelope, entities = String, data = MuteFlag);
envelope_schema!(
    AnnouncementEnvelope,
    entities = String,
    data = AnnouncementData
);
envelope_schema!(
    AnnouncementSetEnvelope,
    entities = String,
    data = AnnouncementResult
);
