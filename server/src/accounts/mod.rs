//! People and signing in: local accounts with argon2id passwords and TOTP, sessions, CSRF,
//! throttling, and the administrators' management of people.

pub mod domain;
pub mod routes;
pub mod session;
pub mod store;
