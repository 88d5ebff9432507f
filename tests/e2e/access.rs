//! Law 2: each kind of denied project request next to an allowed one, each denial audited
//! with its reason.

use crate::both;
use crate::harness::{Client, Engine, Page, Server, audit_count, current_code, day, demo_project, exec};
use reqwest::StatusCode;
use tre_server::db::Db;

async fn denied(db: &Db, page: &Page, reason: &str) {
    assert_eq!(page.status, StatusCode::FORBIDDEN, "expected a denial for {reason}: {}", page.body);
    assert!(page.text("#message").is_some());
    page.assert_no_internals();
    assert!(audit_count(db, "access.decision", "denied", Some(reason)).await >= 1, "denial {reason} not audited");
}

async fn each_denial_beside_an_allowed_request(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let id = demo_project(&db).await;
    let project = format!("/projects/{id}");
    let workspace = format!("/projects/{id}/workspace");

    // Not signed in: sent to sign in, and the attempt is audited.
    let anon = server.client();
    assert_eq!(anon.get(&workspace).await.location.as_deref(), Some("/signin"));
    assert_eq!(audit_count(&db, "access.decision", "denied", Some("not_signed_in")).await, 1);

    // Allowed: an accredited analyst of the approved, in-date project.
    let analyst = server.signed_in("analyst").await;
    let allowed = analyst.get(&workspace).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    assert!(allowed.text("#workspace-title").unwrap().contains("drug utilisation"));
    assert_eq!(analyst.get(&project).await.status, StatusCode::OK);
    assert!(audit_count(&db, "access.decision", "success", None).await >= 2);

    // Password given, code not yet: MFA incomplete.
    let half = Client::new(&server.base);
    half.password_step(&server.account("analyst")).await;
    denied(&db, &half.get(&workspace).await, "mfa_incomplete").await;

    // A custodian: accredited, but no member of the project.
    let custodian = server.signed_in("custodian1").await;
    denied(&db, &custodian.get(&workspace).await, "not_member").await;

    // A new person without accreditation, then with training only, then accredited.
    let admin = server.signed_in("admin").await;
    let created = admin
        .submit(
            "/admin/people/new",
            "/admin/people",
            &[("username", "ren"), ("display_name", "Ren"), ("role_researcher", "on")],
        )
        .await;
    let password = created.text("#temporary-password").unwrap();
    let ren_id: i64 = created.attrs("#temporary-password", "data-person")[0].parse().unwrap();
    let ren = Client::new(&server.base);
    let account = crate::harness::Account { username: "ren".into(), password, totp: String::new() };
    ren.password_step(&account).await;
    let secret = ren.get("/signin/enrol").await.text("#secret").unwrap();
    let p = ren.submit("/signin/enrol", "/signin/enrol", &[("code", &current_code(&secret))]).await;
    assert_eq!(p.location.as_deref(), Some("/signin/password"));
    ren.choose_password("ren's chosen password").await;
    exec(&db, &format!("INSERT INTO project_members (project_id, person_id, role, starts_on) VALUES ({id}, {ren_id}, 'observer', '{}')", day(-1))).await;
    denied(&db, &ren.get(&project).await, "no_training").await;
    let person_page = format!("/admin/people/{ren_id}");
    let p = admin
        .submit(
            &person_page,
            &format!("{person_page}/training"),
            &[("course", "Safe researcher"), ("completed_on", &day(-400)), ("expires_on", &day(-35))],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    denied(&db, &ren.get(&project).await, "training_expired").await;
    admin
        .submit(
            &person_page,
            &format!("{person_page}/training"),
            &[("course", "Safe researcher"), ("completed_on", &day(-10)), ("expires_on", &day(355))],
        )
        .await;
    denied(&db, &ren.get(&project).await, "no_declaration").await;
    admin
        .submit(&person_page, &format!("{person_page}/declaration"), &[("version", "2026-1"), ("signed_on", &day(-1))])
        .await;
    // Now accredited: an observer may view the project but not use its workspace (casbin).
    assert_eq!(ren.get(&project).await.status, StatusCode::OK);
    denied(&db, &ren.get(&workspace).await, "not_permitted").await;

    // The analyst's membership ends: denied; restored: allowed.
    exec(&db, &format!("UPDATE project_members SET ends_on = '{}' WHERE role = 'analyst'", day(-1))).await;
    denied(&db, &analyst.get(&workspace).await, "membership_not_active").await;
    exec(&db, "UPDATE project_members SET ends_on = NULL WHERE role = 'analyst'").await;
    assert_eq!(analyst.get(&workspace).await.status, StatusCode::OK);

    // The project is suspended, then out of date, then not yet started.
    exec(&db, &format!("UPDATE projects SET status = 'suspended' WHERE id = {id}")).await;
    denied(&db, &analyst.get(&workspace).await, "project_not_approved").await;
    exec(&db, &format!("UPDATE projects SET status = 'approved', ends_on = '{}' WHERE id = {id}", day(-1))).await;
    denied(&db, &analyst.get(&workspace).await, "project_ended").await;
    exec(&db, &format!("UPDATE projects SET starts_on = '{}', ends_on = '{}' WHERE id = {id}", day(1), day(300))).await;
    denied(&db, &analyst.get(&workspace).await, "project_not_started").await;
    exec(&db, &format!("UPDATE projects SET starts_on = '{}' WHERE id = {id}", day(-30))).await;
    assert_eq!(analyst.get(&workspace).await.status, StatusCode::OK);

    // The analyst's accreditation lapses.
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    exec(&db, &format!("UPDATE training_records SET expires_on = '{}' WHERE person_id = {analyst_id}", day(0))).await;
    denied(&db, &analyst.get(&workspace).await, "training_expired").await;

    // A deactivated account loses its session at the next request.
    exec(&db, &format!("UPDATE people SET active = 0 WHERE id = {ren_id}")).await;
    assert_eq!(ren.get(&project).await.status, StatusCode::FORBIDDEN);
    assert_eq!(audit_count(&db, "access.decision", "denied", Some("account_inactive")).await, 1);
    assert_eq!(ren.get("/").await.location.as_deref(), Some("/signin"));

    // Platform actions: an analyst may not manage people, and that denial is audited too.
    let custodian_admin = custodian.get("/admin/people").await;
    assert_eq!(custodian_admin.status, StatusCode::FORBIDDEN);
    assert!(audit_count(&db, "access.decision", "denied", Some("not_permitted")).await >= 2);

    // Unknown and malformed project ids.
    assert_eq!(admin.get("/projects/987654321").await.status, StatusCode::NOT_FOUND);
    assert_eq!(audit_count(&db, "access.decision", "denied", Some("no_such_project")).await, 1);
    assert_eq!(admin.get("/projects/not-a-number/workspace").await.status, StatusCode::NOT_FOUND);
    server.stop().await;
}
both!(each_kind_of_denial_is_refused_and_audited, each_denial_beside_an_allowed_request);
