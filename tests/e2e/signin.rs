//! Signing in with a password and TOTP, enrolment at first sign-in, administrators' account
//! management, and sessions.

use crate::both;
use crate::harness::{Client, Engine, Server, current_code};
use reqwest::StatusCode;
use tre_server::accounts::domain::TotpSecret;

async fn signin_and_home(engine: Engine) {
    let server = Server::start(engine).await;
    let analyst = server.signed_in("analyst").await;
    let home = analyst.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.text("h1").as_deref(), Some("Welcome, Hana Analyst"));
    assert!(home.text("#accreditation .ok").unwrap().starts_with("Accredited: valid until"));
    let links = home.attrs("#my-projects a", "href");
    assert_eq!(links.len(), 1, "{}", home.body);
    assert_eq!(analyst.get(&links[0]).await.status, StatusCode::OK);
    // The analyst sees no administration; the administrator does.
    assert!(home.text("#administration").is_none());
    let admin = server.signed_in("admin").await;
    assert!(admin.get("/").await.text("#administration").is_some());
    // Every demo role signs in.
    for who in ["custodian1", "custodian2", "board1", "board2", "board3"] {
        let c = server.signed_in(who).await;
        assert!(c.get("/").await.text("#all-projects").is_some(), "{who} sees the projects overview");
    }
    // Signing out ends the session.
    let p = analyst.submit("/", "/signout", &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(analyst.get("/").await.location.as_deref(), Some("/signin"));
    let db = server.installation.db().await;
    assert_eq!(crate::harness::audit_count(&db, "signin.complete", "success", None).await, 7);
    assert_eq!(crate::harness::audit_count(&db, "signout", "success", None).await, 1);
    server.stop().await;
}
both!(signin_with_totp_reaches_the_home_page, signin_and_home);

async fn new_person_enrols(engine: Engine) {
    let server = Server::start(engine).await;
    let admin = server.signed_in("admin").await;
    let created = admin
        .submit(
            "/admin/people/new",
            "/admin/people",
            &[("username", "Yuki.Tanaka"), ("display_name", "田中 由紀"), ("role_researcher", "on")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let password = created.text("#temporary-password").unwrap();
    assert_eq!(password.len(), 20);
    // The list shows the new person, not yet enrolled and not accredited.
    let people = admin.get("/admin/people").await;
    assert!(people.body.contains("yuki.tanaka"));
    assert!(people.body.contains("田中 由紀"));

    let yuki = Client::new(&server.base);
    let account = crate::harness::Account { username: "yuki.tanaka".into(), password, totp: String::new() };
    let p = yuki.password_step(&account).await;
    assert_eq!(p.location.as_deref(), Some("/signin/enrol"));
    // Until enrolment is done, nothing else opens.
    assert_eq!(yuki.get("/").await.location.as_deref(), Some("/signin"));
    assert_eq!(yuki.get("/signin/code").await.location.as_deref(), Some("/signin"));
    let enrol = yuki.get("/signin/enrol").await;
    assert!(enrol.body.contains("<svg"), "a QR code is shown");
    let secret = enrol.text("#secret").unwrap();

    // Someone else signing in on the same browser mid-enrolment is not offered Yuki's key.
    let other = admin
        .submit(
            "/admin/people/new",
            "/admin/people",
            &[("username", "ken"), ("display_name", "Ken"), ("role_researcher", "on")],
        )
        .await;
    let ken = crate::harness::Account {
        username: "ken".into(),
        password: other.text("#temporary-password").unwrap(),
        totp: String::new(),
    };
    assert_eq!(yuki.password_step(&ken).await.location.as_deref(), Some("/signin/enrol"));
    let kens = yuki.get("/signin/enrol").await.text("#secret").unwrap();
    assert_ne!(kens, secret, "a half-done enrolment's key does not pass to the next person");
    let p = yuki.password_step(&account).await;
    assert_eq!(p.location.as_deref(), Some("/signin/enrol"));
    let secret = yuki.get("/signin/enrol").await.text("#secret").unwrap();
    let wrong = yuki.submit("/signin/enrol", "/signin/enrol", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The same key is offered until enrolment completes.
    assert_eq!(yuki.get("/signin/enrol").await.text("#secret").unwrap(), secret);
    let ok = yuki.submit("/signin/enrol", "/signin/enrol", &[("code", &current_code(&secret))]).await;
    assert_eq!(ok.location.as_deref(), Some("/signin/password"), "{}", ok.body);
    // The temporary password must be replaced before anything else opens.
    assert_eq!(yuki.get("/").await.location.as_deref(), Some("/signin"));
    for (new, confirm, why) in [
        ("short", "short", "12 to 256 characters"),
        ("a long new password", "a different one!!", "differ"),
        (account.password.as_str(), account.password.as_str(), "different from the current"),
    ] {
        let p = yuki
            .submit("/signin/password", "/signin/password", &[("new_password", new), ("confirm_password", confirm)])
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.text("#error").unwrap().contains(why), "{}", p.body);
    }
    yuki.choose_password("yuki's own long password").await;
    let home = yuki.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text("#accreditation .warn").unwrap().contains("no completed training"));
    assert!(TotpSecret::from_base32(&secret).is_some());
    let db = server.installation.db().await;
    assert_eq!(crate::harness::audit_count(&db, "person.password_change", "success", None).await, 1);
    // The temporary password no longer works; the chosen one does.
    let again = Client::new(&server.base);
    assert_eq!(again.password_step(&account).await.status, StatusCode::UNAUTHORIZED);
    let chosen = crate::harness::Account { password: "yuki's own long password".into(), ..account.clone() };
    assert_eq!(again.password_step(&chosen).await.location.as_deref(), Some("/signin/code"));
    server.stop().await;
}
both!(a_new_person_enrols_an_authenticator_at_first_signin, new_person_enrols);

async fn admin_changes_apply_at_once(engine: Engine) {
    let server = Server::start(engine).await;
    let admin = server.signed_in("admin").await;
    let analyst = server.signed_in("analyst").await;
    assert_eq!(analyst.get("/admin/people").await.status, StatusCode::FORBIDDEN);
    let db = server.installation.db().await;
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    let page = format!("/admin/people/{analyst_id}");
    // A role granted applies at the analyst's next request, without signing in again.
    let p =
        admin.submit(&page, &format!("{page}/roles"), &[("role_researcher", "on"), ("role_administrator", "on")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(analyst.get("/admin/people").await.status, StatusCode::OK);
    let p = admin.submit(&page, &format!("{page}/roles"), &[("role_researcher", "on")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(analyst.get("/admin/people").await.status, StatusCode::FORBIDDEN);
    // Administrators cannot remove their own administrator role.
    let admin_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'admin'").fetch_one(db.pool()).await.unwrap();
    let own = format!("/admin/people/{admin_id}");
    let p = admin.submit(&own, &format!("{own}/roles"), &[("role_researcher", "on")]).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    // People change their own password; that ends their other sessions.
    let half = Client::new(&server.base);
    half.password_step(&server.account("analyst")).await;
    let wrong = analyst
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "analyst new password"),
                ("confirm_password", "analyst new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = analyst
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", &server.account("analyst").password),
                ("new_password", "analyst new password"),
                ("confirm_password", "analyst new password"),
            ],
        )
        .await;
    assert_eq!(changed.location.as_deref(), Some("/"), "{}", changed.body);
    assert_eq!(analyst.get("/").await.status, StatusCode::OK, "the changing session continues");
    assert_eq!(half.get("/signin/code").await.location.as_deref(), Some("/signin"), "other sessions end");

    // A password reset ends the person's sessions and shows a new temporary password once.
    let p = admin.submit(&page, &format!("{page}/reset-password"), &[]).await;
    assert_eq!(p.status, StatusCode::OK);
    let new_password = p.text("#temporary-password").unwrap();
    assert_eq!(analyst.get("/").await.location.as_deref(), Some("/signin"));
    let mut account = server.account("analyst");
    let old = Client::new(&server.base).password_step(&account).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "the old password no longer works");
    account.password = new_password;
    let p = Client::new(&server.base).password_step(&account).await;
    assert_eq!(p.location.as_deref(), Some("/signin/code"));
    // An authenticator reset sends the person to enrolment.
    let p = admin.submit(&page, &format!("{page}/reset-mfa"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = Client::new(&server.base).password_step(&account).await;
    assert_eq!(p.location.as_deref(), Some("/signin/enrol"));
    // Accreditation is recorded through the person page.
    let p = admin
        .submit(
            &page,
            &format!("{page}/training"),
            &[("course", "GCP refresher"), ("completed_on", "2026-01-01"), ("expires_on", "2025-01-01")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "expiry before completion is refused");
    let p = admin
        .submit(&page, &format!("{page}/declaration"), &[("version", "2026-1"), ("signed_on", "2999-01-01")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "a declaration signed in the future is refused");
    assert_eq!(admin.get("/admin/people/999999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(admin.get("/admin/people/abc").await.status, StatusCode::NOT_FOUND);
    server.stop().await;
}
both!(administrators_changes_apply_at_once, admin_changes_apply_at_once);

async fn second_start_reuses(engine: Engine) {
    let server = Server::start(engine).await;
    let analyst = server.account("analyst");
    let installation = server.stop().await;
    let again = Server::start_with(installation, &[]).await;
    assert!(again.accounts.is_empty(), "no new credentials on a second start");
    assert!(again.stdout.iter().any(|l| l.contains("already present")));
    let c = Client::new(&again.base);
    let p = c.password_step(&analyst).await;
    assert_eq!(p.location.as_deref(), Some("/signin/code"), "the first start's credentials still work");
    let ready = c.get("/readyz").await.body;
    assert!(ready.starts_with("ready\n"), "{ready}");
    // Which runner protections hold on this machine is said, and a missing one is named.
    assert!(
        ready.contains("workspace runners: every protection holds")
            || ready.contains("workspace runners: protections unavailable: "),
        "{ready}"
    );
    assert_eq!(c.get("/healthz").await.body, "ok");
    again.stop().await;
}
both!(a_second_start_reuses_the_installation, second_start_reuses);
