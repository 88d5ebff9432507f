//! Sign-in through an institution's OpenID provider, against the real test provider
//! (`scripts/oidc-provider.mjs`, npm `oidc-provider`, started by scripts/test.sh): an unknown
//! identity is pending with no access until an administrator links it; a linked identity
//! signs in, with MFA taken from the provider's `amr` or, without it, the platform's own code;
//! sign-out goes on to the provider; and every bad answer (replayed or wrong state, tokens for
//! another audience, expired, unsigned, signed by an unknown key, with another nonce or issuer,
//! a provider that is down) is refused with a clear page, audited, and signs nobody in.

use crate::both;
use crate::harness::{Client, Engine, Installation, Page, Server, audit_count, current_code};
use reqwest::StatusCode;

pub(crate) fn issuer() -> String {
    std::env::var("TRE_TEST_OIDC_ISSUER").expect(
        "TRE_TEST_OIDC_ISSUER is not set: run the tests through scripts/test.sh, which starts the OpenID provider",
    )
}

pub(crate) async fn start(engine: Engine, extra: &[(&str, &str)]) -> Server {
    let installation = Installation::new(engine).await;
    let config = installation.data_dir.join("tre.toml");
    std::fs::write(
        &config,
        format!(
            "[[oidc]]\nname = \"hospital\"\nlabel = \"Hospital ID\"\nissuer = \"{}\"\nclient_id = \"tre-test\"\n\
             mfa_amr = [\"otp\"]\nuserinfo = true\n\n\
             [[oidc]]\nname = \"down\"\nlabel = \"A service that is down\"\nissuer = \"http://127.0.0.2:1\"\nclient_id = \"x\"\n",
            issuer()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap().to_string();
    let mut env = vec![
        ("TRE_CONFIG", config.as_str()),
        ("TRE_OIDC_HOSPITAL_CLIENT_SECRET", "tre-test-secret"),
        ("TRE_OIDC_DOWN_CLIENT_SECRET", "unused"),
    ];
    env.extend_from_slice(extra);
    Server::start_with(installation, &env).await
}

/// Where a redirect goes, made absolute against `base`.
fn follow(base: &str, page: &Page) -> String {
    let location = page.location.clone().unwrap_or_else(|| panic!("no redirect: {} {}", page.status, page.body));
    if location.starts_with("http") { location } else { format!("{base}{location}") }
}

/// Clicks "Sign in with Hospital ID" and signs in at the provider as `username` (with the
/// provider's one-time code when `otp` is given), unless this browser still has a session at
/// the provider. Returns the callback URL, not yet visited.
async fn at_provider(client: &Client, username: &str, password: &str, otp: &str) -> String {
    let started = client.get("/signin/oidc/hospital").await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let authorize = follow("", &started);
    assert!(authorize.starts_with(&issuer()), "{authorize}");
    assert!(authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="), "{authorize}");
    let to_form = client.get_url(&authorize).await;
    let form_url = follow(&issuer(), &to_form);
    if form_url.contains("/signin/oidc/hospital/callback?") {
        // Still signed in at the provider from an earlier round: it answers at once.
        return form_url;
    }
    let form = client.get_url(&form_url).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let fields = [("username", username), ("password", password), ("otp", otp)];
    let logged_in = client.post_url(&format!("{form_url}/login"), &fields).await;
    assert_eq!(logged_in.status, StatusCode::SEE_OTHER, "{}", logged_in.body);
    let back = client.get_url(&follow(&issuer(), &logged_in)).await;
    let callback = follow(&issuer(), &back);
    assert!(callback.contains("/signin/oidc/hospital/callback?"), "{callback}");
    callback
}

async fn identity_id(server: &Server, subject: &str) -> i64 {
    let db = server.installation.db().await;
    sqlx::query_scalar("SELECT id FROM identities WHERE subject = $1").bind(subject).fetch_one(db.pool()).await.unwrap()
}

async fn oidc(engine: Engine) {
    let server = start(engine, &[]).await;
    let db = server.installation.db().await;
    let signin = server.client().get("/signin").await;
    assert!(signin.body.contains("Sign in with Hospital ID"), "{}", signin.body);
    assert!(signin.body.contains("id=\"username\""), "local accounts stay offered");

    // First sign-in of an unknown identity: pending, no access, the administrators told.
    let alice = server.client();
    let callback = alice.get_url(&at_provider(&alice, "alice", "alice-pass", "123456").await).await;
    assert_eq!(callback.status, StatusCode::FORBIDDEN, "{}", callback.body);
    assert!(callback.body.contains("not yet linked to a person"), "{}", callback.body);
    assert_eq!(alice.get("/").await.location.as_deref(), Some("/signin"), "no session was created");
    assert_eq!(audit_count(&db, "signin.oidc", "denied", Some("unknown_identity")).await, 1);
    let id = identity_id(&server, "alice").await;
    let (state, email): (String, Option<String>) = sqlx::query_as("SELECT state, email FROM identities WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!((state.as_str(), email.as_deref()), ("pending", Some("alice@hospital.example")));

    // An administrator links it to the analyst (never by email: by choosing the person).
    let admin = server.signed_in("admin").await;
    let inbox = admin.get("/").await;
    assert!(inbox.body.contains("waits to be linked to a person"), "{}", inbox.body);
    let list = admin.get("/admin/identities").await;
    assert!(list.body.contains("Alice Tanaka") && list.body.contains("alice@hospital.example"), "{}", list.body);
    assert_eq!(server.signed_in("custodian1").await.get("/admin/identities").await.status, StatusCode::FORBIDDEN);
    let nobody =
        admin.submit("/admin/identities", &format!("/admin/identities/{id}/link"), &[("username", "nobody")]).await;
    assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
    let linked =
        admin.submit("/admin/identities", &format!("/admin/identities/{id}/link"), &[("username", "analyst")]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    assert_eq!(audit_count(&db, "identity.link", "success", None).await, 1);

    // Linked, with the provider's MFA (amr otp): signed in.
    let callback_url = at_provider(&alice, "alice", "alice-pass", "123456").await;
    let done = alice.get_url(&callback_url).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("content=\"0;url=/\""), "{}", done.body);
    let home = alice.get("/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(!home.body.contains("Release reviews"), "{}", home.body);

    // A role given meanwhile applies at the next request, without signing in again.
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    let person_page = format!("/admin/people/{analyst_id}");
    let fields = [("role_researcher", "on"), ("role_custodian", "on")];
    let roles = admin.submit(&person_page, &format!("{person_page}/roles"), &fields).await;
    assert_eq!(roles.status, StatusCode::SEE_OTHER, "{}", roles.body);
    assert!(alice.get("/").await.body.contains("Release reviews"));
    assert_eq!(audit_count(&db, "signin.oidc", "success", None).await, 1);

    // The same callback again (a replay): refused, audited.
    let replay = alice.get_url(&callback_url).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.body);
    assert!(replay.body.contains("already used"), "{}", replay.body);
    assert_eq!(audit_count(&db, "signin.oidc", "denied", Some("bad_state")).await, 1);

    // Sign-out ends the provider's session too (RP-initiated logout).
    let out = alice.submit("/", "/signout", &[]).await;
    let end = out.location.clone().unwrap_or_default();
    assert!(end.starts_with(&format!("{}/session/end?", issuer())), "{end}");
    assert!(end.contains("id_token_hint=") && end.contains("post_logout_redirect_uri="), "{end}");
    assert_eq!(alice.get("/").await.location.as_deref(), Some("/signin"));

    // Without the provider's MFA (no code at the provider): the platform asks for its own.
    let second = server.client();
    let callback = second.get_url(&at_provider(&second, "alice", "alice-pass", "").await).await;
    assert_eq!(callback.status, StatusCode::OK, "{}", callback.body);
    assert!(callback.body.contains("/signin/code"), "{}", callback.body);
    assert_eq!(second.get("/").await.location.as_deref(), Some("/signin"), "not signed in before the code");
    let code = current_code(&server.account("analyst").totp);
    let coded = second.submit("/signin/code", "/signin/code", &[("code", &code)]).await;
    assert_eq!(coded.location.as_deref(), Some("/"), "{}", coded.body);
    assert_eq!(second.get("/").await.status, StatusCode::OK);

    // A wrong state: refused, and the flow cannot be finished afterwards either.
    let carol = server.client();
    let callback_url = at_provider(&carol, "alice", "alice-pass", "123456").await;
    let forged = with_state_forged(&callback_url);
    let refused = carol.get_url(&forged).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(carol.get_url(&callback_url).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(carol.get("/").await.location.as_deref(), Some("/signin"));
    assert_eq!(audit_count(&db, "signin.oidc", "denied", Some("bad_state")).await, 3);

    // Tokens that fail a check: each refused with its reason, nobody signed in.
    for (account, reason) in [
        ("tamper-aud", "wrong_audience"),
        ("tamper-expired", "expired_token"),
        ("tamper-key", "bad_signature"),
        ("tamper-kid", "unknown_key"),
        ("tamper-none", "unsigned_token"),
        ("tamper-nonce", "nonce_mismatch"),
        ("tamper-iss", "wrong_issuer"),
    ] {
        let browser = server.client();
        let page = browser.get_url(&at_provider(&browser, account, "tamper-pass", "123456").await).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{account}: {}", page.body);
        assert!(page.body.contains("failed our checks"), "{account}: {}", page.body);
        assert_eq!(audit_count(&db, "signin.oidc", "denied", Some(reason)).await, 1, "{account}");
        assert_eq!(browser.get("/").await.location.as_deref(), Some("/signin"), "{account}");
    }
    let tampered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM identities WHERE subject LIKE 'tamper-%'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(tampered, 0, "a refused token records no identity");

    // The person gives up at the provider: its error comes back, refused and audited.
    let quitter = server.client();
    let started = quitter.get("/signin/oidc/hospital").await;
    let form_url = follow(&issuer(), &quitter.get_url(&follow("", &started)).await);
    let aborted = quitter.get_url(&format!("{form_url}/abort")).await;
    let back = quitter.get_url(&follow(&issuer(), &aborted)).await;
    let callback = follow(&issuer(), &back);
    assert!(callback.contains("error=access_denied"), "{callback}");
    let page = quitter.get_url(&callback).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("did not sign you in (access_denied)"), "{}", page.body);
    assert_eq!(audit_count(&db, "signin.oidc", "denied", Some("provider_error")).await, 1);

    // A provider that is down: a clear page, audited; /readyz says so; the platform runs on.
    let down = server.client().get("/signin/oidc/down").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{}", down.body);
    assert!(down.body.contains("cannot be reached"), "{}", down.body);
    assert_eq!(audit_count(&db, "signin.oidc", "denied", Some("provider_unavailable")).await, 1);
    let ready = server.client().get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert!(ready.body.contains("sign-in providers not reachable yet: down"), "{}", ready.body);

    // Blocked, then unlinked: refused each time.
    admin.submit("/admin/identities", &format!("/admin/identities/{id}/block"), &[]).await;
    let browser = server.client();
    let blocked = browser.get_url(&at_provider(&browser, "alice", "alice-pass", "123456").await).await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN, "{}", blocked.body);
    assert_eq!(audit_count(&db, "signin.oidc", "denied", Some("blocked_identity")).await, 1);
    admin.submit("/admin/identities", &format!("/admin/identities/{id}/unlink"), &[]).await;
    let browser = server.client();
    let unlinked = browser.get_url(&at_provider(&browser, "alice", "alice-pass", "123456").await).await;
    assert_eq!(unlinked.status, StatusCode::FORBIDDEN, "{}", unlinked.body);
    assert_eq!(audit_count(&db, "signin.oidc", "denied", Some("unknown_identity")).await, 2);
    assert_eq!(audit_count(&db, "identity.block", "success", None).await, 1);
    assert_eq!(audit_count(&db, "identity.unlink", "success", None).await, 1);
    server.stop().await;
}
both!(institutions_sign_in_through_their_openid_provider, oidc);

/// The callback URL with another `state`.
fn with_state_forged(url: &str) -> String {
    let (head, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|pair| if pair.starts_with("state=") { "state=forged".to_string() } else { pair.to_string() })
        .collect();
    format!("{head}?{}", query.join("&"))
}

/// With local accounts off, the sign-in page offers only the institution, and a password
/// sign-in posted anyway is refused.
async fn institution_only(engine: Engine) {
    let server = start(engine, &[("TRE_SIGNIN_LOCAL_ACCOUNTS", "false")]).await;
    let client = server.client();
    let page = client.get("/signin").await;
    assert!(page.body.contains("Sign in with Hospital ID"), "{}", page.body);
    assert!(!page.body.contains("id=\"password\""), "{}", page.body);
    let account = server.account("analyst");
    let refused =
        client.submit("/signin", "/signin", &[("username", &account.username), ("password", &account.password)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("Sign in through your institution"), "{}", refused.body);
    assert_eq!(client.get("/").await.location.as_deref(), Some("/signin"));
    server.stop().await;
}
both!(with_local_accounts_off_only_institutions_sign_in, institution_only);
