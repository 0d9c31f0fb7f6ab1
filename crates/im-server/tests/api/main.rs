//! Black-box tests: the real HTTP surface over a real PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chatroom_concurrency;
mod chatroom_members;
mod chatroom_moderation;
mod chatrooms;
mod cli;
mod helpers;
mod hostile;
mod ops;
mod overload;
mod tokens;
mod users;
mod wire;
