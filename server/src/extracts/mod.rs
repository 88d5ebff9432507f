//! Extracts (Safe data, law 4): what an approved project's protocol allows of a dataset
//! version, written under the project's own prefix with person identifiers replaced by the
//! project's pseudonyms, rows sorted by pseudonym, and a manifest.

pub mod build;
pub mod domain;
pub mod routes;
pub mod store;
