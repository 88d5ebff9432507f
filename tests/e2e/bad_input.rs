//! Bad input: wrong and replayed codes, forged CSRF tokens, malformed forms, unknown routes,
//! lockout, expired sessions, a database that is down, a bad setting. Each gets a clear
//! message and the right status, and nothing internal leaks.

use crate::both;
use crate::harness::{Engine, Installation, Server, audit_count, current_code};
use reqwest::StatusCode;

async fn codes_csrf_forms_routes(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let analyst = server.account("analyst");

    // A wrong code.
    let c = server.client();
    c.password_step(&analyst).await;
    let p = c.submit("/signin/code", "/signin/code", &[("code", "123456")]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.text("#error").unwrap().contains("not right"));
    let p = c.submit("/signin/code", "/signin/code", &[("code", "12ab")]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    // The right code signs in; the same code again, in another session, is a replay.
    let code = current_code(&analyst.totp);
    let p = c.submit("/signin/code", "/signin/code", &[("code", &code)]).await;
    assert_eq!(p.location.as_deref(), Some("/"));
    let other = server.client();
    other.password_step(&analyst).await;
    let p = other.submit("/signin/code", "/signin/code", &[("code", &code)]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.text("#error").unwrap().contains("already used"));
    assert_eq!(audit_count(&db, "signin.code", "denied", Some("code already used")).await, 1);
    assert_eq!(audit_count(&db, "signin.code", "denied", Some("wrong code")).await, 1);
    assert_eq!(audit_count(&db, "signin.code", "denied", Some("malformed code")).await, 1);

    // Forged and missing CSRF tokens.
    let fresh = server.client();
    fresh.get("/signin").await;
    let p = fresh
        .post_raw("/signin", &[("csrf_token", "forged"), ("username", "analyst"), ("password", &analyst.password)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.text("#message").unwrap().contains("did not come from this site"));
    let p = fresh.post_raw("/signin", &[("username", "analyst"), ("password", &analyst.password)]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // A token from one session does not work in another.
    let stolen = c.get("/").await.csrf();
    let p = fresh.post_raw("/signout", &[("csrf_token", &stolen)]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // A signed-in session's state changes need the token too.
    let p = c.post_raw("/signout", &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/").await.status, StatusCode::OK, "still signed in");
    assert!(audit_count(&db, "csrf.reject", "denied", None).await >= 4);

    // A malformed form (a field missing) with a valid token.
    let p = fresh.submit("/signin", "/signin", &[("username", "analyst")]).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    p.assert_no_internals();

    // Unknown routes and methods.
    let p = c.get("/no/such/page").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert_eq!(p.text("h1").as_deref(), Some("Not found"));
    p.assert_no_internals();

    // Security headers on every page.
    let resp = reqwest::get(format!("{}/signin", server.base)).await.unwrap();
    let h = resp.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["cache-control"], "no-store");
    let cookie = h["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    server.stop().await;
}
both!(wrong_codes_forged_tokens_and_malformed_forms_are_refused, codes_csrf_forms_routes);

async fn lockout(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let mut analyst = server.account("analyst");
    let right = analyst.password.clone();
    analyst.password = "wrong password!".into();
    let c = server.client();
    for _ in 0..4 {
        let p = c.password_step(&analyst).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(p.text("#error").unwrap().contains("username or password is wrong"));
    }
    let p = c.password_step(&analyst).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "the fifth failure locks");
    analyst.password = right;
    let p = c.password_step(&analyst).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "locked even with the right password");
    assert!(p.text("#message").unwrap().contains("locked"));
    assert_eq!(audit_count(&db, "signin.lockout", "denied", None).await, 1);
    // An unknown username is refused with the same words and is throttled the same way.
    let ghost =
        crate::harness::Account { username: "ghost".into(), password: "whatever pass".into(), totp: String::new() };
    let p = c.password_step(&ghost).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.text("#error").unwrap().contains("username or password is wrong"));
    assert_eq!(audit_count(&db, "signin.password", "denied", Some("unknown username")).await, 1);
    server.stop().await;
}
both!(repeated_failures_lock_the_account_for_a_while, lockout);

async fn idle_sessions_expire(engine: Engine) {
    let installation = Installation::new(engine).await;
    let server = Server::start_with(installation, &[("TRE_SESSION_IDLE_SECONDS", "2")]).await;
    let c = server.signed_in("analyst").await;
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    assert_eq!(c.get("/").await.location.as_deref(), Some("/signin"), "an idle session ends");
    server.stop().await;
}
both!(an_idle_session_expires, idle_sessions_expire);

async fn sessions_end_at_their_maximum_lifetime(engine: Engine) {
    let installation = Installation::new(engine).await;
    let server = Server::start_with(installation, &[("TRE_SESSION_MAX_SECONDS", "3")]).await;
    let c = server.signed_in("analyst").await;
    // Used every half second, the session still ends three seconds after sign-in.
    let mut ended = false;
    for _ in 0..12 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if c.get("/").await.location.as_deref() == Some("/signin") {
            ended = true;
            break;
        }
    }
    assert!(ended, "the session outlived its maximum lifetime");
    server.stop().await;
}
both!(a_busy_session_still_ends_at_its_maximum_lifetime, sessions_end_at_their_maximum_lifetime);

#[tokio::test]
async fn a_database_that_is_down_at_start_is_a_clear_error() {
    let installation = Installation::new(Engine::Sqlite).await;
    let out = installation
        .command()
        .env("TRE_DATABASE_URL", "postgres://tre:hunter2@127.0.0.1:9/tre")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be reached"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn a_bad_setting_names_itself() {
    let installation = Installation::new(Engine::Sqlite).await;
    let out = installation.command().env("TRE_LISTEN", "everywhere").args(["serve"]).output().await.unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("setting `listen` (from the environment variable TRE_LISTEN)"), "{stderr}");
    let out = installation.command().args(["--config", "/nonexistent/tre.toml", "migrate"]).output().await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the config file"));
}
