//! Types and rules of the IM domain. No IO lives here: every function is pure and the clock,
//! when needed, is passed in.

pub mod attributes;
pub mod callbacks;
pub mod error;
pub mod files;
pub mod limits;
pub mod room;
pub mod room_attributes;
pub mod token;
pub mod user;
pub mod user_mutes;

pub use error::DomainError;
pub use limits::Limits;
pub use token::{Ttl, TtlPolicy};
pub use user::{Nickname, Password, Username};
