//! Configuration: defaults, then a TOML file, then `TRE_*` environment variables, then flags.
//!
//! Everything is validated at start; an error names the setting and where its value came from.
//! Secrets (the database password) never appear in `Debug` output or logs.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where a setting's value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The built-in default.
    Default,
    /// The TOML file.
    File(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag.
    Flag(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => write!(f, "the default"),
            Source::File(p) => write!(f, "the config file {}", p.display()),
            Source::Env(v) => write!(f, "the environment variable {v}"),
            Source::Flag(v) => write!(f, "the flag {v}"),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read the config file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    /// The config file is not valid TOML or has unknown keys.
    #[error("the config file {path} is not valid: {reason}")]
    Parse { path: PathBuf, reason: String },
    /// One setting has a value that cannot be used.
    #[error("setting `{setting}` (from {from}) is invalid: {reason}")]
    Invalid { setting: &'static str, from: Source, reason: String },
}

/// The database engine behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (the default).
    Sqlite,
    /// PostgreSQL (production).
    Postgres,
}

/// A validated database URL. Its `Debug` and `Display` hide any password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// Parses a `sqlite:` or `postgres://` URL.
    pub fn parse(url: &str) -> Result<Self, String> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err("expected a URL starting with sqlite: or postgres://".into());
        };
        Ok(Self { url: url.to_string(), backend })
    }

    /// The SQLite database file inside `data_dir`, created when missing.
    pub fn sqlite_in(data_dir: &Path) -> Self {
        let path = data_dir.join("tre.db");
        Self { url: format!("sqlite://{}?mode=rwc", path.display()), backend: Backend::Sqlite }
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The full URL, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match (self.url.find("://"), self.url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let userinfo = &self.url[scheme_end + 3..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        format!("{}{}:***{}", &self.url[..scheme_end + 3], &userinfo[..colon], &self.url[at..])
                    }
                    None => self.url.clone(),
                }
            }
            _ => self.url.clone(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The validated configuration of one `tre` process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to serve on; port 0 picks a free port (the bound address is printed).
    pub listen: SocketAddr,
    /// Folder for the embedded database and, later, the local object store.
    pub data_dir: PathBuf,
    /// The database.
    pub database: DatabaseUrl,
    /// Whether cookies carry `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub session_max: Duration,
    /// Failed sign-ins in a row before a temporary lockout.
    pub signin_max_failures: u32,
    /// How long a lockout lasts.
    pub signin_lockout: Duration,
    /// Where datasets and extracts are kept.
    pub objects: crate::objects::ObjectsConfig,
    /// Where the master key (which seals every project key) comes from.
    pub master_key: crate::keys::MasterKeySource,
    /// Custodians' approvals that release an output.
    pub release_approvals: u32,
    /// How often the project lifecycle is swept (law 7 without waiting for a request).
    pub lifecycle_check: Duration,
    /// Unconflicted board votes that decide an application.
    pub board_quorum: u32,
    /// Where notifications are also sent by email, if anywhere.
    pub smtp: Option<SmtpConfig>,
    /// The public URL, when set (`None`: `http://` and the address actually bound).
    pub public_url: Option<String>,
    /// Whether local accounts (username, password, TOTP) may sign in.
    pub local_signin: bool,
    /// Institutions' OpenID providers, in the order the sign-in page offers them.
    pub oidc: Vec<OidcProvider>,
}

/// One institution's OpenID provider (`[[oidc]]` in the file).
#[derive(Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// Short name, in URLs: `/signin/oidc/NAME`.
    pub name: String,
    /// What the sign-in button says.
    pub label: String,
    /// The issuer URL, compared as an exact string.
    pub issuer: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret: from `TRE_OIDC_<NAME>_CLIENT_SECRET` or `client_secret_file`.
    pub client_secret: String,
    /// Scopes asked for (`openid` is always asked).
    pub scopes: Vec<String>,
    /// The claim holding the email address.
    pub email_claim: String,
    /// The claim holding the person's name.
    pub name_claim: String,
    /// The callback URL registered at the provider (default: public URL +
    /// `/signin/oidc/NAME/callback`).
    pub redirect_url: Option<String>,
    /// Whether the userinfo endpoint is read after the token.
    pub userinfo: bool,
    /// `amr` values that show the provider did MFA.
    pub mfa_amr: Vec<String>,
    /// `acr` values that show the provider did MFA.
    pub mfa_acr: Vec<String>,
    /// The `acr_values` to ask for, if any.
    pub request_acr: Option<String>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OidcProvider({} at {}, client {}, secret ***)", self.name, self.issuer, self.client_id)
    }
}

/// How to reach the SMTP server that carries notifications by email.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// `tls` (implicit TLS), `starttls` or `none` (only for a relay on this machine).
    pub tls: String,
    /// The sender address.
    pub from: String,
    /// User name and password, when the server wants them.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmtpConfig({}:{}, {}, from {}, credentials: {})",
            self.host,
            self.port,
            self.tls,
            self.from,
            if self.credentials.is_some() { "***" } else { "none" }
        )
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    #[serde(default)]
    sessions: FileSessions,
    #[serde(default)]
    signin: FileSignin,
    #[serde(default)]
    object_store: FileObjects,
    master_key_file: Option<PathBuf>,
    #[serde(default)]
    releases: FileReleases,
    #[serde(default)]
    lifecycle: FileLifecycle,
    #[serde(default)]
    board: FileBoard,
    #[serde(default)]
    smtp: FileSmtp,
    #[serde(default)]
    oidc: Vec<FileOidc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOidc {
    name: String,
    label: Option<String>,
    issuer: String,
    client_id: String,
    client_secret_file: Option<PathBuf>,
    scopes: Option<Vec<String>>,
    email_claim: Option<String>,
    name_claim: Option<String>,
    redirect_url: Option<String>,
    userinfo: Option<bool>,
    mfa_amr: Option<Vec<String>>,
    mfa_acr: Option<Vec<String>>,
    request_acr: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSmtp {
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
    from: Option<String>,
    username: Option<String>,
    password_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBoard {
    quorum: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLifecycle {
    check_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileReleases {
    approvals: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileObjects {
    kind: Option<String>,
    path: Option<PathBuf>,
    endpoint: Option<String>,
    bucket: Option<String>,
    region: Option<String>,
    prefix: Option<String>,
    access_key_id: Option<String>,
    secret_access_key_file: Option<PathBuf>,
    allow_http: Option<bool>,
    path_style: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSessions {
    idle_timeout_seconds: Option<u64>,
    max_lifetime_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSignin {
    max_failures: Option<u32>,
    lockout_seconds: Option<u64>,
    local_accounts: Option<bool>,
}

/// Values given on the command line, which win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config`
    pub config_file: Option<PathBuf>,
    /// `--listen`
    pub listen: Option<String>,
    /// `--data-dir`
    pub data_dir: Option<PathBuf>,
}

/// One raw setting with where it came from.
struct Raw<T> {
    value: T,
    source: Source,
}

fn pick<T>(
    default: T,
    file: Option<T>,
    file_path: &Option<PathBuf>,
    env: Option<(T, &'static str)>,
    flag: Option<(T, &'static str)>,
) -> Raw<T> {
    if let Some((value, name)) = flag {
        return Raw { value, source: Source::Flag(name) };
    }
    if let Some((value, name)) = env {
        return Raw { value, source: Source::Env(name) };
    }
    if let (Some(value), Some(path)) = (file, file_path) {
        return Raw { value, source: Source::File(path.clone()) };
    }
    Raw { value: default, source: Source::Default }
}

fn parse_number<T: std::str::FromStr>(
    setting: &'static str,
    var: &'static str,
    text: String,
) -> Result<T, ConfigError> {
    text.trim().parse().map_err(|_| ConfigError::Invalid {
        setting,
        from: Source::Env(var),
        reason: format!("{text:?} is not a whole number"),
    })
}

impl Config {
    /// Loads the configuration from `overrides.config_file` (if any), the environment as
    /// given by `env`, and the overrides.
    pub fn load(overrides: &Overrides, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let file_path = overrides.config_file.clone().or_else(|| env("TRE_CONFIG").map(PathBuf::from));
        let file: FileConfig = match &file_path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Read { path: path.clone(), reason: e.kind().to_string() })?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse { path: path.clone(), reason: e.message().to_string() })?
            }
            None => FileConfig::default(),
        };

        let listen = pick(
            "127.0.0.1:8080".to_string(),
            file.listen,
            &file_path,
            env("TRE_LISTEN").map(|v| (v, "TRE_LISTEN")),
            overrides.listen.clone().map(|v| (v, "--listen")),
        );
        let listen_addr: SocketAddr = listen.value.parse().map_err(|_| ConfigError::Invalid {
            setting: "listen",
            from: listen.source.clone(),
            reason: format!("{:?} is not an address like 127.0.0.1:8080", listen.value),
        })?;

        let data_dir = pick(
            PathBuf::from("tre-data"),
            file.data_dir,
            &file_path,
            env("TRE_DATA_DIR").map(|v| (PathBuf::from(v), "TRE_DATA_DIR")),
            overrides.data_dir.clone().map(|v| (v, "--data-dir")),
        );
        if data_dir.value.as_os_str().is_empty() {
            return Err(ConfigError::Invalid {
                setting: "data_dir",
                from: data_dir.source,
                reason: "must not be empty".into(),
            });
        }

        let database = match (env("TRE_DATABASE_URL"), file.database_url) {
            (Some(url), _) => DatabaseUrl::parse(&url).map_err(|reason| ConfigError::Invalid {
                setting: "database_url",
                from: Source::Env("TRE_DATABASE_URL"),
                reason,
            })?,
            (None, Some(url)) => DatabaseUrl::parse(&url).map_err(|reason| ConfigError::Invalid {
                setting: "database_url",
                from: Source::File(file_path.clone().unwrap_or_default()),
                reason,
            })?,
            (None, None) => DatabaseUrl::sqlite_in(&data_dir.value),
        };

        let public_url_set = env("TRE_PUBLIC_URL").or(file.public_url.clone());
        let public_url = pick(
            format!("http://{listen_addr}"),
            file.public_url,
            &file_path,
            env("TRE_PUBLIC_URL").map(|v| (v, "TRE_PUBLIC_URL")),
            None,
        );
        let secure_cookies = if public_url.value.starts_with("https://") {
            true
        } else if public_url.value.starts_with("http://") {
            false
        } else {
            return Err(ConfigError::Invalid {
                setting: "public_url",
                from: public_url.source,
                reason: "must start with http:// or https://".into(),
            });
        };

        let seconds = |setting: &'static str,
                       default: u64,
                       from_file: Option<u64>,
                       var: &'static str,
                       min: u64,
                       max: u64|
         -> Result<Duration, ConfigError> {
            let env_value = match env(var) {
                Some(text) => Some((parse_number::<u64>(setting, var, text)?, var)),
                None => None,
            };
            let raw = pick(default, from_file, &file_path, env_value, None);
            if raw.value < min || raw.value > max {
                return Err(ConfigError::Invalid {
                    setting,
                    from: raw.source,
                    reason: format!("{} is outside {min}..={max} seconds", raw.value),
                });
            }
            Ok(Duration::from_secs(raw.value))
        };
        let session_idle = seconds(
            "sessions.idle_timeout_seconds",
            30 * 60,
            file.sessions.idle_timeout_seconds,
            "TRE_SESSION_IDLE_SECONDS",
            1,
            24 * 3600,
        )?;
        let session_max = seconds(
            "sessions.max_lifetime_seconds",
            12 * 3600,
            file.sessions.max_lifetime_seconds,
            "TRE_SESSION_MAX_SECONDS",
            1,
            7 * 24 * 3600,
        )?;
        let lifecycle_check = seconds(
            "lifecycle.check_seconds",
            60,
            file.lifecycle.check_seconds,
            "TRE_LIFECYCLE_CHECK_SECONDS",
            1,
            3600,
        )?;
        let signin_lockout = seconds(
            "signin.lockout_seconds",
            15 * 60,
            file.signin.lockout_seconds,
            "TRE_SIGNIN_LOCKOUT_SECONDS",
            1,
            24 * 3600,
        )?;
        // A whole number from the file or the environment, within `range`.
        let count = |setting: &'static str,
                     default: u32,
                     from_file: Option<u32>,
                     var: &'static str,
                     range: std::ops::RangeInclusive<u32>|
         -> Result<u32, ConfigError> {
            let env_value = match env(var) {
                Some(text) => Some((parse_number::<u32>(setting, var, text)?, var)),
                None => None,
            };
            let raw = pick(default, from_file, &file_path, env_value, None);
            if !range.contains(&raw.value) {
                return Err(ConfigError::Invalid {
                    setting,
                    from: raw.source,
                    reason: format!("{} is outside {}..={}", raw.value, range.start(), range.end()),
                });
            }
            Ok(raw.value)
        };
        let max_failures =
            count("signin.max_failures", 5, file.signin.max_failures, "TRE_SIGNIN_MAX_FAILURES", 1..=100)?;
        let approvals = count("releases.approvals", 2, file.releases.approvals, "TRE_RELEASE_APPROVALS", 1..=10)?;
        let board_quorum = count("board.quorum", 3, file.board.quorum, "TRE_BOARD_QUORUM", 1..=20)?;

        let objects = objects_config(file.object_store, &file_path, &data_dir.value, &env)?;
        let smtp = smtp_config(file.smtp, &env)?;
        let oidc = oidc_config(file.oidc, &env)?;
        let local_signin = match env("TRE_SIGNIN_LOCAL_ACCOUNTS") {
            Some(v) => match v.trim() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        setting: "signin.local_accounts",
                        from: Source::Env("TRE_SIGNIN_LOCAL_ACCOUNTS"),
                        reason: format!("{v:?} is not true or false"),
                    });
                }
            },
            None => file.signin.local_accounts.unwrap_or(true),
        };
        if !local_signin && oidc.is_empty() {
            return Err(ConfigError::Invalid {
                setting: "signin.local_accounts",
                from: Source::File(file_path.clone().unwrap_or_default()),
                reason: "local accounts are off and no [[oidc]] provider is configured: nobody could sign in".into(),
            });
        }

        let master_key = match (env("TRE_MASTER_KEY"), file.master_key_file) {
            (Some(hex), _) => crate::keys::MasterKeySource::Env(hex),
            (None, Some(path)) => crate::keys::MasterKeySource::File(path),
            (None, None) => crate::keys::MasterKeySource::File(data_dir.value.join("master.key")),
        };

        Ok(Config {
            master_key,
            objects,
            listen: listen_addr,
            data_dir: data_dir.value,
            database,
            secure_cookies,
            session_idle,
            session_max,
            signin_max_failures: max_failures,
            signin_lockout,
            release_approvals: approvals,
            lifecycle_check,
            board_quorum,
            smtp,
            public_url: public_url_set.map(|u| u.trim_end_matches('/').to_string()),
            local_signin,
            oidc,
        })
    }
}

/// `[smtp]` in the file or `TRE_SMTP_*` in the environment; none when no host is set. The
/// password comes only from `TRE_SMTP_PASSWORD` or a file.
fn smtp_config(file: FileSmtp, env: &impl Fn(&str) -> Option<String>) -> Result<Option<SmtpConfig>, ConfigError> {
    let Some(host) = env("TRE_SMTP_HOST").or(file.host).filter(|h| !h.trim().is_empty()) else { return Ok(None) };
    let invalid =
        |setting: &'static str, reason: String| ConfigError::Invalid { setting, from: Source::Default, reason };
    let tls = env("TRE_SMTP_TLS").or(file.tls).unwrap_or_else(|| "starttls".into());
    if !["tls", "starttls", "none"].contains(&tls.as_str()) {
        return Err(invalid("smtp.tls", format!("{tls:?} is not tls, starttls or none")));
    }
    let port = match env("TRE_SMTP_PORT") {
        Some(p) => p.trim().parse::<u16>().map_err(|_| invalid("smtp.port", format!("{p:?} is not a port")))?,
        None => file.port.unwrap_or(if tls == "tls" { 465 } else { 587 }),
    };
    let from = env("TRE_SMTP_FROM")
        .or(file.from)
        .ok_or_else(|| invalid("smtp.from", "the sender address is required".into()))?;
    if from.parse::<lettre::Address>().is_err() {
        return Err(invalid("smtp.from", format!("{from:?} is not an email address")));
    }
    let password = match (env("TRE_SMTP_PASSWORD"), &file.password_file) {
        (Some(p), _) => Some(p),
        (None, Some(path)) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| invalid("smtp.password_file", format!("cannot read {}: {}", path.display(), e.kind())))?
                .trim()
                .to_string(),
        ),
        (None, None) => None,
    };
    let credentials = match (env("TRE_SMTP_USERNAME").or(file.username), password) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        _ => return Err(invalid("smtp.username", "a user name and a password go together".into())),
    };
    Ok(Some(SmtpConfig { host, port, tls, from, credentials }))
}

/// The `[[oidc]]` providers. Each secret comes from `TRE_OIDC_<NAME>_CLIENT_SECRET` (the name
/// upper-cased, `-` as `_`) or from `client_secret_file`, never from the TOML itself.
fn oidc_config(file: Vec<FileOidc>, env: &impl Fn(&str) -> Option<String>) -> Result<Vec<OidcProvider>, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid { setting: "oidc", from: Source::Default, reason };
    let mut providers: Vec<OidcProvider> = Vec::new();
    for p in file {
        let name = p.name.trim().to_string();
        let plain = !name.is_empty()
            && name.len() <= 32
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !plain {
            return Err(invalid(format!("provider name {name:?}: use 1-32 of a-z, 0-9 and -")));
        }
        if providers.iter().any(|q| q.name == name) {
            return Err(invalid(format!("provider name {name:?} is given twice")));
        }
        if !(p.issuer.starts_with("https://") || p.issuer.starts_with("http://")) || p.issuer.ends_with('/') {
            return Err(invalid(format!(
                "provider {name}: issuer {:?} must be an http(s) URL without a trailing slash, exactly as the provider states it",
                p.issuer
            )));
        }
        let var = format!("TRE_OIDC_{}_CLIENT_SECRET", name.to_ascii_uppercase().replace('-', "_"));
        let client_secret = match (env(&var), &p.client_secret_file) {
            (Some(secret), _) => secret,
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| invalid(format!("provider {name}: cannot read {}: {}", path.display(), e.kind())))?
                .trim()
                .to_string(),
            (None, None) => return Err(invalid(format!("provider {name}: set {var} or client_secret_file"))),
        };
        if client_secret.is_empty() {
            return Err(invalid(format!("provider {name}: the client secret is empty")));
        }
        if let Some(url) = &p.redirect_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(invalid(format!("provider {name}: redirect_url {url:?} is not an http(s) URL")));
        }
        let mut scopes = p.scopes.unwrap_or_else(|| vec!["email".into(), "profile".into()]);
        scopes.retain(|s| s != "openid");
        providers.push(OidcProvider {
            label: p.label.unwrap_or_else(|| name.clone()),
            name,
            issuer: p.issuer,
            client_id: p.client_id,
            client_secret,
            scopes,
            email_claim: p.email_claim.unwrap_or_else(|| "email".into()),
            name_claim: p.name_claim.unwrap_or_else(|| "name".into()),
            redirect_url: p.redirect_url,
            userinfo: p.userinfo.unwrap_or(false),
            mfa_amr: p.mfa_amr.unwrap_or_default(),
            mfa_acr: p.mfa_acr.unwrap_or_default(),
            request_acr: p.request_acr,
        });
    }
    Ok(providers)
}

/// The object store settings: `[object_store]` in the file, `TRE_OBJECT_STORE`/`TRE_S3_*` in
/// the environment. The S3 secret comes only from the environment or a file, never the TOML.
fn objects_config(
    file: FileObjects,
    file_path: &Option<PathBuf>,
    data_dir: &Path,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<crate::objects::ObjectsConfig, ConfigError> {
    use crate::objects::{ObjectsConfig, S3Config};
    let file_source = || Source::File(file_path.clone().unwrap_or_default());
    let text = |var: &'static str, from_file: Option<String>| -> Option<(String, Source)> {
        match env(var) {
            Some(v) => Some((v, Source::Env(var))),
            None => from_file.map(|v| (v, file_source())),
        }
    };
    let flag = |setting: &'static str,
                var: &'static str,
                from_file: Option<bool>,
                default: bool|
     -> Result<bool, ConfigError> {
        match env(var) {
            Some(v) => match v.trim() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(ConfigError::Invalid {
                    setting,
                    from: Source::Env(var),
                    reason: format!("{v:?} is not true or false"),
                }),
            },
            None => Ok(from_file.unwrap_or(default)),
        }
    };
    let kind = text("TRE_OBJECT_STORE", file.kind).unwrap_or(("local".into(), Source::Default));
    match kind.0.as_str() {
        "local" => {
            let root = match text("TRE_OBJECTS_PATH", file.path.map(|p| p.display().to_string())) {
                Some((p, _)) => PathBuf::from(p),
                None => data_dir.join("objects"),
            };
            Ok(ObjectsConfig::Local { root })
        }
        "s3" => {
            let required = |setting: &'static str, var: &'static str, value: Option<String>| {
                text(var, value).map(|(v, _)| v).filter(|v| !v.trim().is_empty()).ok_or(ConfigError::Invalid {
                    setting,
                    from: Source::Default,
                    reason: format!("required for an S3 object store (set it in [object_store] or {var})"),
                })
            };
            let bucket = required("object_store.bucket", "TRE_S3_BUCKET", file.bucket)?;
            let access_key_id = required("object_store.access_key_id", "TRE_S3_ACCESS_KEY_ID", file.access_key_id)?;
            let secret_access_key = match (env("TRE_S3_SECRET_ACCESS_KEY"), &file.secret_access_key_file) {
                (Some(secret), _) => secret,
                (None, Some(path)) => std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Invalid {
                        setting: "object_store.secret_access_key_file",
                        from: file_source(),
                        reason: format!("cannot read {}: {}", path.display(), e.kind()),
                    })?
                    .trim()
                    .to_string(),
                (None, None) => {
                    return Err(ConfigError::Invalid {
                        setting: "object_store.secret_access_key_file",
                        from: Source::Default,
                        reason: "an S3 object store needs TRE_S3_SECRET_ACCESS_KEY or secret_access_key_file".into(),
                    });
                }
            };
            let endpoint = text("TRE_S3_ENDPOINT", file.endpoint);
            if let Some((e, from)) = &endpoint
                && !(e.starts_with("http://") || e.starts_with("https://"))
            {
                return Err(ConfigError::Invalid {
                    setting: "object_store.endpoint",
                    from: from.clone(),
                    reason: "must start with http:// or https://".into(),
                });
            }
            Ok(ObjectsConfig::S3(S3Config {
                endpoint: endpoint.map(|(e, _)| e),
                bucket,
                region: text("TRE_S3_REGION", file.region).map(|(v, _)| v).unwrap_or_else(|| "us-east-1".into()),
                prefix: text("TRE_S3_PREFIX", file.prefix).map(|(v, _)| v).unwrap_or_default(),
                access_key_id,
                secret_access_key,
                allow_http: flag("object_store.allow_http", "TRE_S3_ALLOW_HTTP", file.allow_http, false)?,
                path_style: flag("object_store.path_style", "TRE_S3_PATH_STYLE", file.path_style, true)?,
            }))
        }
        other => Err(ConfigError::Invalid {
            setting: "object_store.kind",
            from: kind.1,
            reason: format!("{other:?} is neither \"local\" nor \"s3\""),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)], file: Option<&str>) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut overrides = Overrides::default();
        let dir = std::env::temp_dir().join(format!("tre-config-test-{}", rand::random::<u64>()));
        if let Some(text) = file {
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("tre.toml");
            std::fs::write(&path, text).unwrap();
            overrides.config_file = Some(path);
        }
        let result = Config::load(&overrides, |k| vars.get(k).cloned());
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn check_error(vars: &[(&str, &str)], file: Option<&str>, expected: &str) {
        let err = load(vars, file).expect_err("should be refused").to_string();
        assert!(err.contains(expected), "{err:?} does not contain {expected:?}");
    }

    #[test]
    fn defaults_are_the_embedded_installation() {
        let c = load(&[], None).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database.backend(), Backend::Sqlite);
        assert!(c.database.expose().contains("tre-data/tre.db"));
        assert!(!c.secure_cookies);
    }

    #[test]
    fn env_beats_file() {
        let c = load(&[("TRE_LISTEN", "127.0.0.1:9000")], Some("listen = \"127.0.0.1:7000\"")).unwrap();
        assert_eq!(c.listen.port(), 9000);
        let c = load(&[], Some("listen = \"127.0.0.1:7000\"")).unwrap();
        assert_eq!(c.listen.port(), 7000);
    }

    #[test]
    fn errors_name_the_setting_and_its_source() {
        check_error(&[("TRE_LISTEN", "nowhere")], None, "setting `listen` (from the environment variable TRE_LISTEN)");
        check_error(&[("TRE_DATABASE_URL", "mysql://x")], None, "setting `database_url`");
        check_error(&[("TRE_SESSION_IDLE_SECONDS", "soon")], None, "sessions.idle_timeout_seconds");
        check_error(&[("TRE_SESSION_IDLE_SECONDS", "0")], None, "outside");
        check_error(&[("TRE_PUBLIC_URL", "ftp://x")], None, "public_url");
        check_error(&[], Some("listen = 3"), "is not valid");
        check_error(&[], Some("lisen = \"x\""), "unknown field");
        check_error(&[], Some("[signin]\nmax_failures = 0"), "signin.max_failures");
        check_error(&[("TRE_RELEASE_APPROVALS", "0")], None, "releases.approvals");
        check_error(&[], Some("[releases]\napprovals = 11"), "releases.approvals");
        assert_eq!(load(&[], None).unwrap().release_approvals, 2);
        assert_eq!(load(&[], Some("[releases]\napprovals = 3")).unwrap().release_approvals, 3);
        assert_eq!(load(&[], None).unwrap().lifecycle_check, Duration::from_secs(60));
        check_error(&[("TRE_LIFECYCLE_CHECK_SECONDS", "0")], None, "lifecycle.check_seconds");
        assert_eq!(load(&[], None).unwrap().smtp, None);
        let c = load(
            &[("TRE_SMTP_HOST", "127.0.0.1"), ("TRE_SMTP_TLS", "none"), ("TRE_SMTP_PORT", "2525")],
            Some("[smtp]\nfrom = \"tre@example.org\""),
        )
        .unwrap();
        assert_eq!(c.smtp.as_ref().map(|s| (s.port, s.tls.as_str())), Some((2525, "none")));
        check_error(&[("TRE_SMTP_HOST", "h"), ("TRE_SMTP_FROM", "not an address")], None, "smtp.from");
        check_error(&[("TRE_SMTP_HOST", "h"), ("TRE_SMTP_FROM", "a@b.org"), ("TRE_SMTP_TLS", "ssl")], None, "smtp.tls");
        check_error(
            &[("TRE_SMTP_HOST", "h"), ("TRE_SMTP_FROM", "a@b.org"), ("TRE_SMTP_USERNAME", "u")],
            None,
            "smtp.username",
        );
    }

    #[test]
    fn oidc_providers() {
        let toml = "[[oidc]]\nname = \"hospital\"\nissuer = \"https://id.hospital.example\"\nclient_id = \"tre\"\nmfa_amr = [\"otp\"]\n";
        let secret = [("TRE_OIDC_HOSPITAL_CLIENT_SECRET", "s3cret")];
        let c = load(&secret, Some(toml)).unwrap();
        let p = &c.oidc[0];
        assert_eq!((p.name.as_str(), p.label.as_str(), p.client_secret.as_str()), ("hospital", "hospital", "s3cret"));
        assert_eq!(p.scopes, ["email", "profile"]);
        assert_eq!((p.email_claim.as_str(), p.name_claim.as_str(), p.userinfo), ("email", "name", false));
        assert!(!format!("{p:?}").contains("s3cret"), "the secret is never printed");
        assert!(c.local_signin);
        check_error(&[], Some(toml), "TRE_OIDC_HOSPITAL_CLIENT_SECRET");
        check_error(
            &secret,
            Some(&toml.replace("https://id.hospital.example", "https://id.hospital.example/")),
            "trailing slash",
        );
        check_error(&secret, Some(&toml.replace("\"hospital\"", "\"Hospital X\"")), "a-z");
        check_error(&secret, Some(&format!("{toml}{toml}")), "twice");
        check_error(&[("TRE_SIGNIN_LOCAL_ACCOUNTS", "false")], None, "nobody could sign in");
        let oidc_only = load(&[("TRE_SIGNIN_LOCAL_ACCOUNTS", "false"), secret[0]], Some(toml)).unwrap();
        assert!(!oidc_only.local_signin);
    }

    #[test]
    fn the_example_provider_configurations_load() {
        let keycloak = include_str!("../../infra/oidc/keycloak.toml");
        let c = load(&[("TRE_OIDC_KEYCLOAK_CLIENT_SECRET", "x")], Some(keycloak)).unwrap();
        assert_eq!(
            (c.oidc[0].mfa_acr.as_slice(), c.oidc[0].request_acr.as_deref()),
            (&["mfa".to_string()][..], Some("mfa"))
        );
        let entra = include_str!("../../infra/oidc/entra-id.toml");
        let c = load(&[("TRE_OIDC_ENTRA_CLIENT_SECRET", "x")], Some(entra)).unwrap();
        assert_eq!(c.oidc[0].mfa_amr, ["mfa"]);
        assert_eq!(c.public_url.as_deref(), Some("https://tre.example.org"));
    }

    #[test]
    fn object_store_settings() {
        let c = load(&[], None).unwrap();
        assert_eq!(c.objects, crate::objects::ObjectsConfig::Local { root: PathBuf::from("tre-data/objects") });
        let c = load(
            &[("TRE_S3_SECRET_ACCESS_KEY", "sekret"), ("TRE_S3_ALLOW_HTTP", "true")],
            Some("[object_store]\nkind = \"s3\"\nbucket = \"tre\"\naccess_key_id = \"id\"\nendpoint = \"http://127.0.0.1:1\""),
        )
        .unwrap();
        match c.objects {
            crate::objects::ObjectsConfig::S3(s) => {
                assert_eq!(s.bucket, "tre");
                assert!(s.allow_http && s.path_style);
                assert_eq!(s.secret_access_key, "sekret");
            }
            other => panic!("{other:?}"),
        }
        check_error(&[("TRE_OBJECT_STORE", "ftp")], None, "object_store.kind");
        check_error(&[("TRE_OBJECT_STORE", "s3")], None, "object_store.bucket");
        check_error(
            &[("TRE_OBJECT_STORE", "s3"), ("TRE_S3_BUCKET", "b"), ("TRE_S3_ACCESS_KEY_ID", "k")],
            None,
            "TRE_S3_SECRET_ACCESS_KEY",
        );
        check_error(
            &[
                ("TRE_OBJECT_STORE", "s3"),
                ("TRE_S3_BUCKET", "b"),
                ("TRE_S3_ACCESS_KEY_ID", "k"),
                ("TRE_S3_SECRET_ACCESS_KEY", "s"),
                ("TRE_S3_ALLOW_HTTP", "maybe"),
            ],
            None,
            "object_store.allow_http",
        );
        check_error(&[], Some("[object_store]\nsecret_access_key = \"x\""), "unknown field");
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let c = load(&[("TRE_PUBLIC_URL", "https://tre.example.org")], None).unwrap();
        assert!(c.secure_cookies);
    }

    #[test]
    fn database_passwords_are_redacted() {
        let url = DatabaseUrl::parse("postgres://tre:s3cret@db:5432/tre").unwrap();
        assert_eq!(url.redacted(), "postgres://tre:***@db:5432/tre");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(!url.to_string().contains("s3cret"));
        let url = DatabaseUrl::parse("postgres://tre@db/tre").unwrap();
        assert_eq!(url.redacted(), "postgres://tre@db/tre");
    }
}
