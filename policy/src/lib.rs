//! Pure rules of the enclave, shared by the server and the workspace runner.
//!
//! This crate holds the casbin access model and its base policy (`model/`) and the disclosure
//! rules of the output gate ([`sdc`]). It must never do I/O: no files, no network, no clock.
//! Everything it decides comes from its arguments.

#![warn(missing_docs)]

pub mod access;
pub mod sdc;
pub mod suppress;

pub use access::{AccessPolicy, Grant, PolicyError, Request};
