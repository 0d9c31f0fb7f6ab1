//! Black-box tests: the real HTTP surface over a real PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod helpers;
mod ops;
mod tokens;
mod users;
mod wire;
