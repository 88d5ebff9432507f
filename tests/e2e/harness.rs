//! Starting the binary, reading its demo credentials, and a cookie-keeping HTTP client.

use reqwest::StatusCode;
use scraper::{Html, Selector};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tre_server::accounts::domain::TotpSecret;
use tre_server::config::DatabaseUrl;
use tre_server::db::Db;

/// The database engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs the test body once per engine: `both!(name, body)` makes `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::harness::Engine::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::harness::Engine::Postgres).await;
            }
        }
    };
}

/// A demo account as printed by `tre serve --demo`.
#[derive(Debug, Clone)]
pub struct Account {
    pub username: String,
    pub password: String,
    pub totp: String,
}

/// Where a test's installation keeps its state; its folder is removed when it is dropped.
#[derive(Debug)]
pub struct Installation {
    pub data_dir: PathBuf,
    /// `Some` for PostgreSQL; SQLite lives in `data_dir`.
    pub database_url: Option<String>,
}

impl Drop for Installation {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Installation {
    /// A fresh folder and, for PostgreSQL, a fresh database.
    pub async fn new(engine: Engine) -> Installation {
        let data_dir = std::env::temp_dir().join(format!("tre-e2e-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let database_url = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => {
                let admin_url = std::env::var("TRE_TEST_POSTGRES_URL").expect(
                    "TRE_TEST_POSTGRES_URL is not set: run the tests through scripts/test.sh, which starts PostgreSQL",
                );
                let name = format!("tre_e2e_{}", rand::random::<u32>());
                let admin = Db::connect(&DatabaseUrl::parse(&admin_url).unwrap()).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(admin.pool())
                    .await
                    .unwrap();
                admin.close().await;
                let base = admin_url.rsplit_once('/').unwrap().0;
                Some(format!("{base}/{name}"))
            }
        };
        Installation { data_dir, database_url }
    }

    /// A `tre` command for this installation.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tre"));
        cmd.arg("--data-dir").arg(&self.data_dir);
        cmd.env_remove("TRE_DATABASE_URL").env_remove("TRE_CONFIG").env("RUST_LOG", "warn");
        if let Some(url) = &self.database_url {
            cmd.env("TRE_DATABASE_URL", url);
        }
        cmd
    }

    /// A direct connection to the installation's database, for arranging state and for
    /// checking what was written.
    pub async fn db(&self) -> Db {
        let url = match &self.database_url {
            Some(url) => DatabaseUrl::parse(url).unwrap(),
            None => DatabaseUrl::sqlite_in(&self.data_dir),
        };
        Db::connect(&url).await.unwrap()
    }

    /// Runs `tre audit verify`; returns its exit code and standard output.
    pub async fn audit_verify(&self) -> (i32, String) {
        let out = self.command().args(["audit", "verify"]).output().await.unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// A running `tre serve --demo`.
pub struct Server {
    pub installation: Installation,
    pub base: String,
    pub accounts: HashMap<String, Account>,
    pub stdout: Vec<String>,
    child: Child,
    /// Seconds the server's clock is moved by (see [`Server::start_with_clock`]).
    clock_offset: Arc<AtomicI64>,
}

impl Server {
    /// Starts a fresh demo installation.
    pub async fn start(engine: Engine) -> Server {
        Server::start_with(Installation::new(engine).await, &[]).await
    }

    /// Like [`Server::start_with`], with the server's clock read from a file that
    /// [`Server::advance_clock`] moves.
    pub async fn start_with_clock(installation: Installation, env: &[(&str, &str)]) -> Server {
        let file = installation.data_dir.join("clock-offset");
        std::fs::write(&file, "0").unwrap();
        let mut env = env.to_vec();
        env.push(("TRE_TEST_CLOCK_FILE", file.to_str().unwrap()));
        Server::start_with(installation, &env).await
    }

    /// Moves the server's clock (started by [`Server::start_with_clock`]) forward by `days`;
    /// this server's clients compute their one-time codes at the moved time.
    pub fn advance_clock(&self, days: i64) {
        let offset = self.clock_offset.fetch_add(days * 86_400, Ordering::SeqCst) + days * 86_400;
        let file = self.installation.data_dir.join("clock-offset");
        assert!(file.exists(), "the server was not started with a movable clock");
        let next = file.with_extension("next");
        std::fs::write(&next, offset.to_string()).unwrap();
        std::fs::rename(&next, &file).unwrap();
    }

    /// Starts `tre serve --demo` on a free port for `installation`, with extra environment.
    pub async fn start_with(installation: Installation, env: &[(&str, &str)]) -> Server {
        let mut cmd = installation.command();
        cmd.args(["serve", "--demo", "--demo-persons", "300", "--listen", "127.0.0.1:0"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).kill_on_drop(true);
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stdout = Vec::new();
        let mut accounts = HashMap::new();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                stdout.push(line.clone());
                if let Some(addr) = line.strip_prefix("tre listening on ") {
                    return addr.trim().to_string();
                }
                let cols: Vec<&str> = line.split_whitespace().collect();
                if line.starts_with("  ") && cols.len() == 4 && cols[0] != "role" {
                    accounts.insert(
                        cols[1].to_string(),
                        Account { username: cols[1].into(), password: cols[2].into(), totp: cols[3].into() },
                    );
                }
            }
            panic!("tre exited before listening: {stdout:?}");
        })
        .await
        .expect("tre did not start listening within 60 s");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server { installation, base, accounts, stdout, child, clock_offset: Arc::default() }
    }

    pub fn account(&self, username: &str) -> Account {
        self.accounts.get(username).cloned().unwrap_or_else(|| panic!("no demo account {username}"))
    }

    pub fn client(&self) -> Client {
        Client { clock_offset: self.clock_offset.clone(), ..Client::new(&self.base) }
    }

    /// A client signed in with both factors as a demo account.
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    pub async fn signed_in(&self, username: &str) -> Client {
        let c = self.client();
        c.sign_in(&self.account(username)).await;
        c
    }

    /// Stops the server and checks the invariant every test leaves behind: the audit chain
    /// verifies end to end.
    pub async fn stop(self) -> Installation {
        let Server { installation, mut child, .. } = self;
        let _ = child.start_kill();
        let _ = child.wait().await;
        let (code, out) = installation.audit_verify().await;
        assert_eq!(code, 0, "audit chain broken at teardown: {out}");
        installation
    }
}

/// A page as received.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The text of the first element matching `selector`.
    pub fn text(&self, selector: &str) -> Option<String> {
        let sel = Selector::parse(selector).unwrap();
        self.html().select(&sel).next().map(|e| e.text().collect::<String>().trim().to_string())
    }

    /// The value of `attr` on every element matching `selector`.
    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap();
        self.html().select(&sel).filter_map(|e| e.value().attr(attr).map(str::to_string)).collect()
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let mut tokens = self.attrs("input[name=csrf_token]", "value");
        tokens.extend(self.attrs("meta[name=csrf-token]", "content"));
        tokens.into_iter().next().expect("page has a form with a CSRF token")
    }

    /// Nothing internal leaks: no SQL, engine, path or panic text.
    pub fn assert_no_internals(&self) {
        for needle in [
            "sqlx",
            "SELECT ",
            "INSERT ",
            "panicked",
            "/root/",
            "/tmp/",
            "src/",
            "thread '",
            "sqlite://",
            "postgres://",
        ] {
            assert!(!self.body.contains(needle), "response leaks {needle:?}: {}", self.body);
        }
    }
}

/// A browser without JavaScript: keeps cookies, does not follow redirects.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    /// How far the server's clock is moved, for one-time codes.
    clock_offset: Arc<AtomicI64>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Client { base: base.trim_end_matches('/').to_string(), http, clock_offset: Arc::default() }
    }

    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status();
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        Page { status, location, body: resp.text().await.unwrap() }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.http.get(format!("{}{path}", self.base)).send().await.unwrap()).await
    }

    /// A GET of an absolute URL (another server, such as an OpenID provider).
    /// A page asked for in the languages of an `Accept-Language` header.
    pub async fn get_with_language(&self, path: &str, accept_language: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base)).header("accept-language", accept_language);
        Self::page(request.send().await.unwrap()).await
    }

    pub async fn get_url(&self, url: &str) -> Page {
        Self::page(self.http.get(url).send().await.unwrap()).await
    }

    /// A form POST to an absolute URL.
    pub async fn post_url(&self, url: &str, fields: &[(&str, &str)]) -> Page {
        Self::page(self.http.post(url).form(fields).send().await.unwrap()).await
    }

    /// A GET with what a walker needs: status, content type, body and redirect target.
    pub async fn raw_get(&self, path: &str) -> (StatusCode, String, String, Option<String>) {
        let resp = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (status, kind, location) = (resp.status(), header("content-type").unwrap_or_default(), header("location"));
        (status, kind, resp.text().await.unwrap(), location)
    }

    /// Posts a form exactly as given (the caller includes the CSRF token or not).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::page(self.http.post(format!("{}{path}", self.base)).form(fields).send().await.unwrap()).await
    }

    /// Posts a multipart form with text fields and files (name, bytes) to `path`.
    pub async fn post_multipart(&self, path: &str, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in files {
            form = form.part("files", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()));
        }
        Self::page(self.http.post(format!("{}{path}", self.base)).multipart(form).send().await.unwrap()).await
    }

    /// Loads `form_page`, takes its CSRF token, and posts `fields` to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(form_page).await;
        assert_eq!(page.status, StatusCode::OK, "{form_page}: {}", page.body);
        let csrf = page.csrf();
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    /// The password step only.
    pub async fn password_step(&self, account: &Account) -> Page {
        self.submit("/signin", "/signin", &[("username", &account.username), ("password", &account.password)]).await
    }

    /// Replaces a temporary password at the end of a first sign-in; panics unless it succeeds.
    pub async fn choose_password(&self, new_password: &str) {
        let p = self
            .submit(
                "/signin/password",
                "/signin/password",
                &[("new_password", new_password), ("confirm_password", new_password)],
            )
            .await;
        assert_eq!(p.location.as_deref(), Some("/"), "choosing a password: {}", p.body);
    }

    /// Both factors; panics if sign-in does not succeed.
    pub async fn sign_in(&self, account: &Account) {
        let p = self.password_step(account).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "password step: {}", p.body);
        assert_eq!(p.location.as_deref(), Some("/signin/code"));
        let code = code_at(&account.totp, self.clock_offset.load(Ordering::SeqCst));
        let p = self.submit("/signin/code", "/signin/code", &[("code", &code)]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "code step: {}", p.body);
        assert_eq!(p.location.as_deref(), Some("/"));
    }
}

/// The TOTP code for a Base32 key now.
pub fn current_code(totp: &str) -> String {
    code_at(totp, 0)
}

/// The TOTP code for a Base32 key `offset` seconds from now.
fn code_at(totp: &str, offset: i64) -> String {
    #[allow(clippy::disallowed_methods, reason = "the test computes codes as an authenticator app would")]
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    TotpSecret::from_base32(totp).unwrap().code_at(now.saturating_add_signed(offset)).unwrap()
}

/// The demo project's id.
pub async fn demo_project(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT id FROM projects ORDER BY id LIMIT 1").fetch_one(db.pool()).await.unwrap()
}

/// Runs one statement on the installation's database (test arrangements only).
pub async fn exec(db: &Db, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(db.pool()).await.unwrap();
}

/// Workspace queries audited as cancelled.
pub async fn cancelled_queries(db: &Db) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'workspace.query' AND details LIKE '%\"cancelled\"%'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap()
}

/// Counts audit entries with this action, outcome and (if given) reason.
pub async fn audit_count(db: &Db, action: &str, outcome: &str, reason: Option<&str>) -> i64 {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT details FROM audit_log WHERE action = $1 AND outcome = $2")
        .bind(action)
        .bind(outcome)
        .fetch_all(db.pool())
        .await
        .unwrap();
    rows.iter()
        .filter(|(d,)| match reason {
            Some(r) => serde_json::from_str::<serde_json::Value>(d).unwrap()["reason"] == r,
            None => true,
        })
        .count() as i64
}

/// Today plus `offset` days, as stored (`YYYY-MM-DD`).
pub fn day(offset: i64) -> String {
    #[allow(clippy::disallowed_methods, reason = "tests arrange dates relative to the real today")]
    let today = time::OffsetDateTime::now_utc().date();
    tre_server::accreditation::domain::format_date(today + time::Duration::days(offset))
}

/// The `tre` binary, told where `tre-runner` is.
pub fn tre_command() -> Command {
    let tre = PathBuf::from(env!("CARGO_BIN_EXE_tre"));
    let runner = tre.with_file_name("tre-runner");
    assert!(runner.exists(), "{} is missing: build the workspace (cargo test --workspace does)", runner.display());
    let mut cmd = Command::new(tre);
    cmd.env("TRE_RUNNER", runner).env("RUST_LOG", "warn");
    cmd
}

/// `tre ARGS --table drug_exposure=... --table person=... --sql SQL EXTRA` over the demo data in
/// `data`: the exit code, standard output and standard error.
pub async fn tre_over_demo(args: &[&str], data: &std::path::Path, sql: &str, extra: &[&str]) -> (i32, String, String) {
    let out = tre_command()
        .args(args)
        .arg("--table")
        .arg(format!("drug_exposure={}", data.join("drug_exposure.parquet").display()))
        .arg("--table")
        .arg(format!("person={}", data.join("person.parquet").display()))
        .args(["--sql", sql])
        .args(extra)
        .output()
        .await
        .expect("tre runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}
