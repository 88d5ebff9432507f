//! Safe projects: applications for a project, the ethics board's conflict declarations, votes
//! and decisions; an approval makes the project, its team and its key in one transaction.

pub mod domain;
pub mod routes;
pub mod store;
