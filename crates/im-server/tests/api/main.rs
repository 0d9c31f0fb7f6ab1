//! Black-box tests: the real HTTP surface over a real PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chatroom_members;
mod chatrooms;
mod cli;
mod embedded;
mod groups;
mod groups_attributes;
mod groups_moderation;
mod groups_reads;
mod helpers;
mod hostile;
mod kinds;
mod ops;
mod overload;
mod rooms;
mod rooms_admins;
mod rooms_concurrency;
mod rooms_members;
mod rooms_moderation;
mod rooms_mutes;
mod rooms_reads;
mod threads;
mod threads_cascades;
mod tokens;
mod users;
mod wire;
