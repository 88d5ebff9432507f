//! Projects (Safe projects): their status and dates, and their members with project roles.
//! Applications and the ethics board's review arrive with the projects issue; this module
//! holds what the access decision needs today.

pub mod domain;
pub mod lifecycle;
pub mod register;
pub mod routes;
pub mod store;
