//! End-to-end tests: each starts the real `tre` binary on a free port against a fresh SQLite
//! file or a fresh PostgreSQL database, drives it over HTTP as a browser without JavaScript
//! would, and checks at teardown that the audit chain still verifies.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod harness;

mod access;
mod applications;
mod audit;
mod bad_input;
mod browser;
mod datasets;
mod email;
mod gate;
mod law1;
mod lifecycle;
mod oidc;
mod outputs;
mod query;
mod signin;
mod workspace;
