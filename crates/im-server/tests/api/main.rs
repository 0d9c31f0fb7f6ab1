//! Black-box tests: the real HTTP surface over a real PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chatroom_attributes;
mod chatroom_concurrency;
mod chatroom_members;
mod chatroom_moderation;
mod chatrooms;
mod cli;
mod embedded;
mod groups;
mod groups_attributes;
mod groups_concurrency;
mod groups_members;
mod groups_moderation;
mod groups_mutes;
mod groups_reads;
mod helpers;
mod hostile;
mod ops;
mod overload;
mod tokens;
mod user_attributes;
mod user_mutes;
mod users;
mod wire;
