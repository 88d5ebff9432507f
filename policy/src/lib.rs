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

/// Words for a person as a catalogue message: its id and its arguments, each written as text
/// (whole numbers and `YYYY-MM-DD` dates stay parseable, so that the reader's language can
/// choose a plural form and a date format). The policy crate has no catalogues; the server
/// reads these in the language of whoever sees them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Says {
    /// The message id.
    pub id: String,
    /// Name and value of each argument.
    pub args: Vec<(String, String)>,
}

impl Says {
    /// Message `id` with `args`.
    pub fn new(id: &str, args: &[(&str, String)]) -> Says {
        Says { id: id.to_string(), args: args.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect() }
    }
}
