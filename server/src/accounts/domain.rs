//! Plain types and decisions about people and signing in. No I/O; time is passed in.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use rand::Rng;
use rand::distr::Alphanumeric;
use totp_rs::{Secret, Totp};

/// A username: 2 to 64 characters of lower-case letters, digits, `.`, `_` and `-`, starting
/// with a letter or digit. Input is trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Parses a username.
    pub fn parse(input: &str) -> Result<Self, crate::i18n::Says> {
        let s = input.trim().to_lowercase();
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let chars_ok = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !(2..=64).contains(&s.len()) || !first_ok || !chars_ok {
            return Err(crate::says!("invalid-username"));
        }
        Ok(Self(s))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as shown on pages: 1 to 120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a display name.
    pub fn parse(input: &str) -> Result<Self, crate::i18n::Says> {
        let s = input.trim();
        if s.is_empty() || s.chars().count() > 120 || s.chars().any(char::is_control) {
            return Err(crate::says!("invalid-display-name"));
        }
        Ok(Self(s.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password being set. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    /// Accepts 12 to 256 characters.
    pub fn parse(input: &str) -> Result<Self, crate::i18n::Says> {
        let n = input.chars().count();
        if !(12..=256).contains(&n) {
            return Err(crate::says!("invalid-password"));
        }
        Ok(Self(input.to_string()))
    }

    /// A random 20-character password for a new account or a reset.
    pub fn generate() -> Self {
        Self(rand::rng().sample_iter(&Alphanumeric).take(20).map(char::from).collect())
    }

    /// The password, to show once to the administrator who set it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Its argon2id hash in PHC form.
    pub fn hash(&self) -> Result<String, String> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(self.0.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
    }
}

/// Whether `password` matches the stored PHC hash.
pub fn verify_password(stored_hash: &str, password: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the username is unknown, so that an
/// unknown name takes as long to refuse as a wrong password.
pub fn dummy_hash() -> String {
    NewPassword::generate().hash().unwrap_or_default()
}

/// Roles held across the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlatformRole {
    /// Manages people, accreditation, roles; reads the audit log.
    Administrator,
    /// Ingests data, builds extracts, reviews release requests.
    Custodian,
    /// Reviews project applications.
    BoardMember,
    /// May apply for projects and be an analyst in them.
    Researcher,
}

impl PlatformRole {
    /// Every platform role, in display order.
    pub const ALL: [PlatformRole; 4] =
        [PlatformRole::Administrator, PlatformRole::Custodian, PlatformRole::BoardMember, PlatformRole::Researcher];

    /// The stored (and casbin) name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformRole::Administrator => "administrator",
            PlatformRole::Custodian => "custodian",
            PlatformRole::BoardMember => "board_member",
            PlatformRole::Researcher => "researcher",
        }
    }

    /// The name shown on pages.
    pub fn label(self) -> &'static str {
        match self {
            PlatformRole::Administrator => "Administrator",
            PlatformRole::Custodian => "Data custodian",
            PlatformRole::BoardMember => "Ethics board member",
            PlatformRole::Researcher => "Researcher",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The state of sign-in throttling for one username.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Throttle {
    /// Failures in a row (reset by a successful sign-in or after a lockout ends).
    pub failures: i64,
    /// When the last failure happened (ms).
    pub last_failure_at: i64,
    /// Until when sign-in is refused (ms); 0 when not locked.
    pub locked_until: i64,
}

/// The throttling rules.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures in a row before a lockout.
    pub max_failures: i64,
    /// Length of a lockout (ms).
    pub lockout_ms: i64,
}

impl Throttle {
    /// Whether sign-in is refused at `now`; the remaining milliseconds if so.
    pub fn locked_for(&self, now: i64) -> Option<i64> {
        (self.locked_until > now).then(|| self.locked_until - now)
    }

    /// The state after one more failure at `now`, and whether it starts a lockout.
    pub fn after_failure(self, now: i64, policy: ThrottlePolicy) -> (Throttle, bool) {
        // Failures counted before a lockout that has since ended start a fresh count.
        let previous = if self.locked_until != 0 && self.locked_until <= now { 0 } else { self.failures };
        let failures = previous + 1;
        if failures >= policy.max_failures {
            (Throttle { failures, last_failure_at: now, locked_until: now + policy.lockout_ms }, true)
        } else {
            (Throttle { failures, last_failure_at: now, locked_until: 0 }, false)
        }
    }
}

/// Why a one-time code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRejection {
    /// Not six digits.
    Malformed,
    /// Not the code for now (or the step before or after).
    Wrong,
    /// The code of a step already used: a replay.
    Replayed,
}

impl CodeRejection {
    /// The audited reason.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeRejection::Malformed => "malformed code",
            CodeRejection::Wrong => "wrong code",
            CodeRejection::Replayed => "code already used",
        }
    }
}

/// A TOTP secret (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of skew).
#[derive(Clone)]
pub struct TotpSecret(Secret);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// A new random 160-bit secret.
    pub fn generate() -> Self {
        Self(Secret::generate())
    }

    /// Parses the stored Base32 form.
    pub fn from_base32(s: &str) -> Option<Self> {
        Secret::try_from_base32(s).ok().map(Self)
    }

    /// The Base32 form, for storage and for manual entry in an authenticator.
    pub fn to_base32(&self) -> String {
        self.0.to_base32()
    }

    fn totp(&self, account: &str) -> Option<Totp> {
        totp_rs::Builder::new()
            .with_secret(self.0.clone())
            .with_issuer(Some("TRE"))
            .with_account_name(account.replace(':', "_"))
            .build()
            .ok()
    }

    /// The `otpauth://` URL an authenticator app scans.
    pub fn otpauth_url(&self, account: &str) -> Option<String> {
        self.totp(account)?.to_url().ok()
    }

    /// The code at `unix_seconds` (for tests and for the demo's printed instructions).
    pub fn code_at(&self, unix_seconds: u64) -> Option<String> {
        Some(self.totp("x")?.generate(unix_seconds).to_string())
    }

    /// Checks a code at `unix_seconds`. A code is accepted once: its step must be later than
    /// `last_used_step`. Returns the step to record as used.
    pub fn check(&self, code: &str, unix_seconds: u64, last_used_step: i64) -> Result<i64, CodeRejection> {
        let code = code.trim();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(CodeRejection::Malformed);
        }
        let totp = self.totp("x").ok_or(CodeRejection::Wrong)?;
        let step = totp.check(code, unix_seconds).ok_or(CodeRejection::Wrong)?;
        let step = i64::try_from(step).map_err(|_| CodeRejection::Wrong)?;
        if step <= last_used_step {
            return Err(CodeRejection::Replayed);
        }
        Ok(step)
    }
}

/// Where a session stands in signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password accepted; the one-time code is due.
    NeedsCode,
    /// Password accepted; no authenticator yet: enrolment is due.
    NeedsEnrolment,
    /// Both factors given with a temporary password: a new password is due.
    NeedsNewPassword,
    /// Signed in with both factors.
    SignedIn,
}

impl Stage {
    /// Stored form in the session.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::NeedsCode => "code",
            Stage::NeedsEnrolment => "enrol",
            Stage::NeedsNewPassword => "new_password",
            Stage::SignedIn => "signed_in",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [Stage::NeedsCode, Stage::NeedsEnrolment, Stage::NeedsNewPassword, Stage::SignedIn]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(Username::parse(input).ok().map(|u| u.0), expected.map(String::from), "{input:?}");
        };
        check("alice", Some("alice"));
        check("  Alice.Smith ", Some("alice.smith"));
        check("a", None);
        check("-alice", None);
        check("alice smith", None);
        check("alice@example.org", None);
        check(&"a".repeat(65), None);
        check("", None);
    }

    #[test]
    fn display_names() {
        assert!(DisplayName::parse("山田 花子").is_ok());
        assert!(DisplayName::parse("  ").is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
        assert!(DisplayName::parse(&"x".repeat(121)).is_err());
    }

    #[test]
    fn passwords_hash_and_verify_and_never_print() {
        assert!(NewPassword::parse("short").is_err());
        let p = NewPassword::parse("correct horse battery").unwrap();
        let h = p.hash().unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterz"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!format!("{p:?}").contains("horse"));
        assert_eq!(NewPassword::generate().reveal().len(), 20);
    }

    #[test]
    fn throttling_locks_after_the_limit_and_starts_afresh_after() {
        let policy = ThrottlePolicy { max_failures: 3, lockout_ms: 1000 };
        let t = Throttle::default();
        let (t, locked) = t.after_failure(10, policy);
        assert!(!locked && t.locked_for(10).is_none());
        let (t, locked) = t.after_failure(20, policy);
        assert!(!locked);
        let (t, locked) = t.after_failure(30, policy);
        assert!(locked);
        assert_eq!(t.locked_for(30), Some(1000));
        assert_eq!(t.locked_for(1030), None);
        // After the lockout ends, one failure does not lock again at once.
        let (t, locked) = t.after_failure(2000, policy);
        assert!(!locked);
        assert_eq!(t.failures, 1);
    }

    #[test]
    fn totp_codes_are_checked_and_used_once() {
        let s = TotpSecret::generate();
        let now = 1_790_000_000u64;
        let code = s.code_at(now).unwrap();
        let step = s.check(&code, now, 0).unwrap();
        assert_eq!(step, (now / 30) as i64);
        assert_eq!(s.check(&code, now, step), Err(CodeRejection::Replayed));
        // One step of skew either way, not two.
        assert!(s.check(&s.code_at(now - 30).unwrap(), now, 0).is_ok());
        assert_eq!(s.check(&s.code_at(now - 90).unwrap(), now, 0), Err(CodeRejection::Wrong));
        assert_eq!(s.check("12345", now, 0), Err(CodeRejection::Malformed));
        assert_eq!(s.check("abcdef", now, 0), Err(CodeRejection::Malformed));
        let again = TotpSecret::from_base32(&s.to_base32()).unwrap();
        assert_eq!(again.code_at(now), s.code_at(now));
        assert!(s.otpauth_url("alice").unwrap().starts_with("otpauth://totp/"));
    }

    #[test]
    fn rfc6238_reference_vector() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s: 94287082 (8 digits);
        // its last six digits are the 6-digit code.
        let s = TotpSecret(Secret::from(b"12345678901234567890".to_vec()));
        assert_eq!(s.code_at(59).unwrap(), "287082");
    }
}
