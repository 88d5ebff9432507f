//! Audit entries, their canonical encoding and hash, and the chain check. No I/O.
//!
//! An entry's hash is SHA-256 over a domain tag, the previous entry's hash, and every field
//! of the entry, each length-prefixed, so that no two different entries encode alike. The
//! first entry's previous hash is [`GENESIS`]. Changing, deleting, inserting or reordering
//! entries breaks the chain at the first entry affected.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The previous hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A known person.
    Person(i64),
    /// Someone not signed in (details may carry the username they gave).
    Anonymous,
    /// The platform itself (migrations, background jobs, the demo seed).
    System,
}

impl Actor {
    /// The stored form: `person:7`, `anonymous`, `system`.
    pub fn encode(&self) -> String {
        match self {
            Actor::Person(id) => format!("person:{id}"),
            Actor::Anonymous => "anonymous".into(),
            Actor::System => "system".into(),
        }
    }
}

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was refused by a rule (an access denial, a wrong code).
    Denied,
}

impl Outcome {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
        }
    }
}

/// What a caller asks to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Who.
    pub actor: Actor,
    /// What, as a dotted name: `signin.password`, `access.decision`, `person.create`.
    pub action: &'static str,
    /// On what: `person:3`, `project:7`, `platform`.
    pub object: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Anything else, as a JSON object (never a password, token or data value).
    pub details: Value,
}

impl AuditEvent {
    /// An event with empty details.
    pub fn new(actor: Actor, action: &'static str, object: impl Into<String>, outcome: Outcome) -> Self {
        Self { actor, action, object: object.into(), outcome, details: Value::Object(Default::default()) }
    }

    /// The same event with these details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// One stored entry, as read back for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Stored actor.
    pub actor: String,
    /// Stored action.
    pub action: String,
    /// Stored object.
    pub object: String,
    /// Stored outcome.
    pub outcome: String,
    /// Details as canonical JSON text.
    pub details: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// Canonical JSON text of details: object keys sorted (serde_json's default map), no spaces.
pub fn canonical_details(details: &Value) -> String {
    // serde_json without `preserve_order` keeps object keys sorted, so re-serialising any
    // value gives one text per value.
    details.to_string()
}

/// The hash of an entry with these fields.
#[allow(clippy::too_many_arguments, reason = "one argument per hashed field keeps the encoding visible")]
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    object: &str,
    outcome: &str,
    details: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(b"tre-audit-v1");
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(prev_hash.as_bytes());
    field(&seq.to_be_bytes());
    field(&at.to_be_bytes());
    field(actor.as_bytes());
    field(action.as_bytes());
    field(object.as_bytes());
    field(outcome.as_bytes());
    field(details.as_bytes());
    hex::encode(h.finalize())
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at entry {seq}: {reason}")]
pub struct Break {
    /// The first entry that does not verify (or the sequence number expected where one is missing).
    pub seq: i64,
    /// What is wrong with it.
    pub reason: String,
}

/// Checks entries one at a time, in the order read (by sequence number).
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { expected_seq: 1, prev_hash: GENESIS.to_string() }
    }
}

impl ChainVerifier {
    /// Checks the next entry.
    pub fn push(&mut self, e: &Entry) -> Result<(), Break> {
        if e.seq != self.expected_seq {
            return Err(Break {
                seq: self.expected_seq,
                reason: format!("expected entry {} but found {}", self.expected_seq, e.seq),
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(Break { seq: e.seq, reason: "its previous hash does not match the entry before it".into() });
        }
        let recomputed = entry_hash(&e.prev_hash, e.seq, e.at, &e.actor, &e.action, &e.object, &e.outcome, &e.details);
        if recomputed != e.hash {
            return Err(Break { seq: e.seq, reason: "its contents do not match its hash".into() });
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    /// Entries verified so far.
    pub fn verified(&self) -> i64 {
        self.expected_seq - 1
    }

    /// The hash of the last verified entry (the chain's head).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let details = canonical_details(&serde_json::json!({"b": seq, "a": "x"}));
                let hash = entry_hash(&prev, seq, 1000 + seq, "person:1", "test.act", "project:1", "success", &details);
                let e = Entry {
                    seq,
                    at: 1000 + seq,
                    actor: "person:1".into(),
                    action: "test.act".into(),
                    object: "project:1".into(),
                    outcome: "success".into(),
                    details,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn check(entries: &[Entry], expected: Result<i64, i64>) {
        let mut v = ChainVerifier::default();
        let got = entries.iter().try_for_each(|e| v.push(e)).map(|_| v.verified()).map_err(|b| b.seq);
        assert_eq!(got, expected);
    }

    #[test]
    fn an_intact_chain_verifies() {
        check(&chain(5), Ok(5));
        check(&[], Ok(0));
    }

    #[test]
    fn a_changed_field_is_caught_at_its_entry() {
        for field in 0..6 {
            let mut c = chain(5);
            match field {
                0 => c[2].at += 1,
                1 => c[2].actor = "person:2".into(),
                2 => c[2].action = "other".into(),
                3 => c[2].object = "project:2".into(),
                4 => c[2].outcome = "denied".into(),
                _ => c[2].details = "{}".into(),
            }
            check(&c, Err(3));
        }
    }

    #[test]
    fn deletion_insertion_and_reordering_are_caught() {
        let mut c = chain(5);
        c.remove(1);
        check(&c, Err(2));
        let mut c = chain(5);
        c.swap(1, 2);
        check(&c, Err(2));
        // Renumbering after a deletion still breaks the previous-hash link.
        let mut c = chain(5);
        c.remove(1);
        for (i, e) in c.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        check(&c, Err(2));
    }

    #[test]
    fn a_rehashed_entry_breaks_the_next_link() {
        let mut c = chain(4);
        c[1].object = "project:9".into();
        c[1].hash = entry_hash(
            &c[1].prev_hash,
            2,
            c[1].at,
            &c[1].actor,
            &c[1].action,
            &c[1].object,
            &c[1].outcome,
            &c[1].details,
        );
        check(&c, Err(3));
    }

    #[test]
    fn details_are_canonical() {
        let a = canonical_details(&serde_json::json!({"z": 1, "a": {"y": 2, "b": 3}}));
        assert_eq!(a, r#"{"a":{"b":3,"y":2},"z":1}"#);
    }
}
