//! Keys: the server's master key, and each project's own secret key, kept in the database only
//! sealed under the master key (ChaCha20-Poly1305, bound to the project's id).
//!
//! A project key is generated when the project is approved and never shown to anyone. It turns
//! a person's identifier into the project's pseudonym (HMAC-SHA-256) and into the person's
//! date shift, so the same person has unrelated pseudonyms in two projects (law 4), and nothing
//! inside an extract lets one recompute the mapping without the key. `Debug` never prints a key.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// Why a key could not be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The master key is malformed or unreadable.
    #[error("the master key ({source_of}) cannot be used: {reason}")]
    Master {
        /// Where it came from.
        source_of: String,
        /// Why.
        reason: String,
    },
    /// A sealed project key does not open under this master key.
    #[error("the key of project {0} does not open under this master key")]
    Sealed(i64),
}

/// Where the master key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// `TRE_MASTER_KEY`: 64 hex digits.
    Env(String),
    /// A file holding 64 hex digits (created with mode 0600 when missing, for the embedded
    /// installation).
    File(PathBuf),
}

/// The server's master key.
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

fn parse_hex_key(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text.trim()).ok()?;
    bytes.try_into().ok()
}

impl MasterKey {
    /// Loads the master key; a missing key file is created with a new random key.
    pub fn load(source: &MasterKeySource) -> Result<MasterKey, KeyError> {
        match source {
            MasterKeySource::Env(text) => parse_hex_key(text).map(MasterKey).ok_or(KeyError::Master {
                source_of: "TRE_MASTER_KEY".into(),
                reason: "it must be 64 hexadecimal digits".into(),
            }),
            MasterKeySource::File(path) => Self::load_file(path),
        }
    }

    fn load_file(path: &Path) -> Result<MasterKey, KeyError> {
        let master = |reason: String| KeyError::Master { source_of: path.display().to_string(), reason };
        if !path.exists() {
            let key: [u8; 32] = rand::random();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| master(e.kind().to_string()))?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(|e| master(e.kind().to_string()))?;
            std::io::Write::write_all(&mut file, hex::encode(key).as_bytes())
                .map_err(|e| master(e.kind().to_string()))?;
            return Ok(MasterKey(key));
        }
        let text = std::fs::read_to_string(path).map_err(|e| master(e.kind().to_string()))?;
        parse_hex_key(&text).map(MasterKey).ok_or_else(|| master("it must hold 64 hexadecimal digits".into()))
    }

    fn aad(project_id: i64) -> Vec<u8> {
        format!("tre project key v1, project {project_id}").into_bytes()
    }

    /// Seals a project key: (nonce, ciphertext), both hex.
    pub fn seal(&self, project_id: i64, key: &ProjectKey) -> (String, String) {
        let cipher = ChaCha20Poly1305::new((&self.0).into());
        let nonce_bytes: [u8; 12] = rand::random();
        let aad = Self::aad(project_id);
        // Encryption with a valid key and nonce cannot fail for a 32-byte message.
        let sealed =
            cipher.encrypt(Nonce::from_slice(&nonce_bytes), Payload { msg: &key.0, aad: &aad }).unwrap_or_default();
        (hex::encode(nonce_bytes), hex::encode(sealed))
    }

    /// Opens a sealed project key; fails if it was sealed for another project or key.
    pub fn open(&self, project_id: i64, nonce: &str, sealed: &str) -> Result<ProjectKey, KeyError> {
        let cipher = ChaCha20Poly1305::new((&self.0).into());
        let nonce = hex::decode(nonce).ok().filter(|n| n.len() == 12).ok_or(KeyError::Sealed(project_id))?;
        let sealed = hex::decode(sealed).map_err(|_| KeyError::Sealed(project_id))?;
        let aad = Self::aad(project_id);
        let plain = cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &sealed, aad: &aad })
            .map_err(|_| KeyError::Sealed(project_id))?;
        plain.try_into().map(ProjectKey).map_err(|_| KeyError::Sealed(project_id))
    }
}

/// A project's secret key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProjectKey([u8; 32]);

impl std::fmt::Debug for ProjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProjectKey(***)")
    }
}

impl ProjectKey {
    /// A new random key.
    pub fn generate() -> Self {
        ProjectKey(rand::random())
    }

    fn mac(&self, purpose: &[u8], raw: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length; a 32-byte key cannot be refused.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(purpose);
        mac.update(&(raw.len() as u64).to_be_bytes());
        mac.update(raw);
        mac.finalize().into_bytes().into()
    }

    /// The project's pseudonym of a person identifier: the first 63 bits of
    /// HMAC-SHA-256(key, "person" || id), as a non-negative 64-bit integer.
    pub fn pseudonym(&self, raw: &[u8]) -> i64 {
        let m = self.mac(b"person", raw);
        let mut first = [0u8; 8];
        first.copy_from_slice(&m[..8]);
        (u64::from_be_bytes(first) >> 1) as i64
    }

    /// The person's date shift in days, within `-max_days..=max_days`: the same for every date
    /// of the person in this project, so intervals within a person are kept.
    pub fn date_shift(&self, raw: &[u8], max_days: u32) -> i32 {
        if max_days == 0 {
            return 0;
        }
        let m = self.mac(b"date shift", raw);
        let mut first = [0u8; 8];
        first.copy_from_slice(&m[..8]);
        let span = 2 * u64::from(max_days) + 1;
        (u64::from_be_bytes(first) % span) as i32 - max_days as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_for_their_project_and_master() {
        let master = MasterKey([7; 32]);
        let key = ProjectKey::generate();
        let (nonce, sealed) = master.seal(3, &key);
        assert_eq!(master.open(3, &nonce, &sealed).unwrap(), key);
        assert!(master.open(4, &nonce, &sealed).is_err(), "a key sealed for project 3 opened for project 4");
        assert!(MasterKey([8; 32]).open(3, &nonce, &sealed).is_err());
        let mut tampered = hex::decode(&sealed).unwrap();
        tampered[0] ^= 1;
        assert!(master.open(3, &nonce, &hex::encode(tampered)).is_err());
        assert!(!sealed.contains(&hex::encode(key.0)));
    }

    #[test]
    fn one_person_has_unrelated_pseudonyms_in_two_projects() {
        let (a, b) = (ProjectKey::generate(), ProjectKey::generate());
        let mut same = 0;
        for id in 0..10_000u64 {
            let raw = id.to_string();
            let (pa, pb) = (a.pseudonym(raw.as_bytes()), b.pseudonym(raw.as_bytes()));
            assert!(pa >= 0 && pb >= 0);
            same += usize::from(pa == pb);
            assert_eq!(pa, a.pseudonym(raw.as_bytes()), "stable within a project");
        }
        assert_eq!(same, 0);
    }

    #[test]
    fn date_shifts_stay_within_bounds_and_vary() {
        let k = ProjectKey::generate();
        let shifts: std::collections::HashSet<i32> =
            (0..2_000u32).map(|i| k.date_shift(i.to_string().as_bytes(), 30)).collect();
        assert!(shifts.iter().all(|s| (-30..=30).contains(s)));
        assert!(shifts.len() > 50, "shifts vary between persons");
        assert_eq!(k.date_shift(b"1", 0), 0);
    }

    #[test]
    fn keys_never_print() {
        assert_eq!(format!("{:?}", MasterKey([1; 32])), "MasterKey(***)");
        assert_eq!(format!("{:?}", ProjectKey([1; 32])), "ProjectKey(***)");
    }

    #[test]
    fn a_master_key_file_is_created_once_and_private() {
        let dir = std::env::temp_dir().join(format!("tre-keys-{}", rand::random::<u64>()));
        let path = dir.join("master.key");
        let first = MasterKey::load(&MasterKeySource::File(path.clone())).unwrap();
        let second = MasterKey::load(&MasterKeySource::File(path.clone())).unwrap();
        assert_eq!(first.0, second.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(MasterKey::load(&MasterKeySource::Env("abc".into())).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
