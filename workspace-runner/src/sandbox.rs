//! The runner's own walls, raised at start, before it reads a query: resource limits, no
//! network, and a filesystem view limited to the extract and its spill folder. Each
//! protection reports whether it holds on this machine; one that is unavailable is said so
//! in the start-up report (and from there in the server's `/readyz`), never skipped silently.

use landlock::{ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, path_beneath_rules};
use rustix::process::{Resource, Rlimit, setrlimit};
use std::path::PathBuf;

/// Whether one protection holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Protection {
    /// What it is.
    pub name: String,
    /// Whether it is in force.
    pub active: bool,
    /// What it does, or why it is not in force.
    pub detail: String,
}

fn report(name: &str, result: Result<String, String>) -> Protection {
    match result {
        Ok(detail) => Protection { name: name.into(), active: true, detail },
        Err(detail) => Protection { name: name.into(), active: false, detail },
    }
}

/// Resource limits: address space (behind the memory pool, for what allocates outside it),
/// file size (the spill cap), no core dumps (they would hold data).
pub fn limit_resources(address_space: u64, file_size: u64) -> Vec<Protection> {
    let set = |resource: Resource, value: u64, what: &str| -> Result<String, String> {
        setrlimit(resource, Rlimit { current: Some(value), maximum: Some(value) })
            .map(|_| format!("{what} at most {value} bytes"))
            .map_err(|e| format!("{what} cannot be limited ({e})"))
    };
    vec![
        report("address-space", set(Resource::As, address_space, "address space")),
        report("file-size", set(Resource::Fsize, file_size, "a file written")),
        report(
            "core-dumps",
            setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) })
                .map(|_| "no core dumps".to_string())
                .map_err(|e| format!("core dumps cannot be turned off ({e})")),
        ),
    ]
}

/// Moves the process into a network namespace of its own, with no interfaces: nothing it
/// does can reach a network. Needs root (or user namespaces). Call before any thread starts.
/// The Unix socket to the server is a file and keeps working.
pub fn isolate_network() -> Protection {
    #[allow(deprecated, reason = "unshare of the network namespace only, before any thread starts")]
    let result = rustix::thread::unshare(rustix::thread::UnshareFlags::NEWNET);
    report(
        "network",
        result
            .map(|_| "a network namespace with no interfaces".to_string())
            .map_err(|e| format!("no network namespace ({e}); the runner can reach the network")),
    )
}

/// The environment variable that names the process the runner must be the child of.
pub const PARENT_ENV: &str = "TRE_RUNNER_PARENT";

/// Whether the process that started the runner (named in [`PARENT_ENV`]) is no longer its
/// parent: it ended before [`die_with_parent`] took effect, which that signal cannot catch,
/// so the runner would outlive it. Call after [`die_with_parent`].
pub fn parent_gone() -> bool {
    let expected = std::env::var(PARENT_ENV).ok().and_then(|p| p.parse::<i32>().ok());
    let actual = rustix::process::getppid().map(|p| p.as_raw_nonzero().get());
    matches!(expected, Some(e) if actual != Some(e))
}

/// Ends the runner when its server ends.
pub fn die_with_parent() -> Protection {
    report(
        "parent-death",
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
            .map(|_| "killed when the server ends".to_string())
            .map_err(|e| format!("does not end with the server ({e})")),
    )
}

/// Limits the filesystem to reading `read` and writing `write` (Landlock), where the kernel
/// has it. Call after everything else the process needs is open.
pub fn limit_filesystem(read: &[PathBuf], write: &[PathBuf]) -> Protection {
    let abi = ABI::V3;
    let result = (|| -> Result<RulesetStatus, landlock::RulesetError> {
        let status = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))?
            .create()?
            .add_rules(path_beneath_rules(read, AccessFs::from_read(abi)))?
            .add_rules(path_beneath_rules(write, AccessFs::from_all(abi)))?
            .restrict_self()?;
        Ok(status.ruleset)
    })();
    report(
        "filesystem",
        match result {
            Ok(RulesetStatus::FullyEnforced) => Ok("Landlock: only the extract (read) and the spill folder".into()),
            Ok(RulesetStatus::PartiallyEnforced) => {
                Ok("Landlock, partly (an older kernel): only the extract (read) and the spill folder".into())
            }
            Ok(RulesetStatus::NotEnforced) => Err("Landlock is not available in this kernel".into()),
            Err(e) => Err(format!("Landlock could not be set up ({e})")),
        },
    )
}
