use serde::{Deserialize, Serialize};

/// Per-deployment limits (API-NOTES §9). Every field has the documented default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Users registered by one batch request.
    pub batch_register: usize,
    /// Members added / blocked / whitelisted / muted by one batch request.
    pub batch_add: usize,
    /// Chatroom members removed by one batch request.
    pub chatroom_batch_remove: usize,
    /// Ids in one chatroom or group details request.
    pub details_ids: usize,
    /// Chatroom name, description and announcement lengths, in characters.
    pub chatroom_name_chars: usize,
    pub chatroom_description_chars: usize,
    pub announcement_chars: usize,
    /// Chatroom `custom`, in bytes.
    pub chatroom_custom_bytes: usize,
    pub chatroom_maxusers_default: i32,
    pub chatroom_maxusers_ceiling: i32,
    /// Chatrooms one user may be a member of.
    pub chatrooms_per_user: i64,
    /// Groups one user may be a member of.
    pub groups_per_user: i64,
    /// Members listed in a room's details (`affiliations`); `affiliations_count` is always exact.
    pub details_affiliations: i64,
    /// Admins per room.
    pub admins_per_room: i64,
    /// Group name, description and `custom` lengths, in characters.
    pub group_name_chars: usize,
    pub group_description_chars: usize,
    pub group_custom_chars: usize,
    pub group_maxusers_default: i32,
    pub group_maxusers_ceiling: i32,
    /// Members named when a group is created.
    pub group_create_members: usize,
    /// Group member attributes: key and value sizes, the whole set per member (bytes), and the
    /// members one batch read may name.
    pub member_attr_key_bytes: usize,
    pub member_attr_value_bytes: usize,
    pub member_attr_bytes_per_member: usize,
    pub member_attr_targets: usize,
    /// Users one thread join or kick may name.
    pub thread_batch: usize,
    /// Thread name length, in characters.
    pub thread_name_chars: usize,
    /// Threads one app may hold.
    pub threads_per_app: i64,
    /// User attributes: the whole set per user (bytes of keys and values), and the users one
    /// batch read may name.
    pub user_attr_bytes_per_user: usize,
    pub user_attr_targets: usize,
    /// Chatroom custom attributes: key and value lengths (characters), keys per request, and
    /// keys per chatroom.
    pub chatroom_attr_key_chars: usize,
    pub chatroom_attr_value_chars: usize,
    pub chatroom_attr_batch: usize,
    pub chatroom_attrs_per_room: i64,
    /// Bytes (keys and values) all chatroom custom attributes of one app may hold.
    pub chatroom_attr_app_bytes: i64,
    /// Bytes (keys and values) all user attributes of one app may hold.
    pub user_attr_app_bytes: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            batch_register: 60,
            batch_add: 60,
            chatroom_batch_remove: 100,
            details_ids: 100,
            chatroom_name_chars: 128,
            chatroom_description_chars: 512,
            announcement_chars: 512,
            chatroom_custom_bytes: 8192,
            chatroom_maxusers_default: 1000,
            chatroom_maxusers_ceiling: 100_000,
            chatrooms_per_user: 1000,
            groups_per_user: 10_000,
            details_affiliations: 1000,
            admins_per_room: 99,
            group_name_chars: 128,
            group_description_chars: 512,
            group_custom_chars: 1024,
            group_maxusers_default: 2000,
            group_maxusers_ceiling: 100_000,
            group_create_members: 100,
            member_attr_key_bytes: 16,
            member_attr_value_bytes: 512,
            member_attr_bytes_per_member: 4096,
            member_attr_targets: 10,
            thread_batch: 10,
            thread_name_chars: 64,
            threads_per_app: 100_000,
            user_attr_bytes_per_user: 2048,
            user_attr_targets: 100,
            chatroom_attr_key_chars: 128,
            chatroom_attr_value_chars: 4096,
            chatroom_attr_batch: 10,
            chatroom_attrs_per_room: 100,
            chatroom_attr_app_bytes: 10 * 1024 * 1024 * 1024,
            user_attr_app_bytes: 10 * 1024 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The most one chatroom attribute set can add to its app's total: a full batch of keys of
    /// the longest length (ASCII) with values of the longest length in 4-byte characters.
    pub fn chatroom_attr_max_growth(&self) -> i64 {
        let per_key = self.chatroom_attr_key_chars + 4 * self.chatroom_attr_value_chars;
        (self.chatroom_attr_batch * per_key) as i64
    }

    /// The most one user attribute set can add to its app's total: a whole user's allowance.
    pub fn user_attr_max_growth(&self) -> i64 {
        self.user_attr_bytes_per_user as i64
    }

    /// Rooms of this kind one user may be in.
    pub fn per_user(&self, kind: crate::room::RoomKind) -> i64 {
        match kind {
            crate::room::RoomKind::Chatroom => self.chatrooms_per_user,
            crate::room::RoomKind::Group => self.groups_per_user,
            // No per-user thread limit is documented: a user's threads are bounded by its groups.
            crate::room::RoomKind::Thread => i64::MAX,
        }
    }
}
