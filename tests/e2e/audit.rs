//! Law 5 through the real binary: `tre audit verify` passes on an intact chain and names the
//! first broken entry after entries are changed, deleted or reordered in the database; the
//! administrators' audit page filters the log and verifies the chain, and a break shows there
//! too.

use crate::both;
use crate::harness::{Engine, Server, audit_count, exec};
use reqwest::StatusCode;
use tre_server::config::Backend;
use tre_server::db::Db;

async fn lift_guards(db: &Db) {
    match db.backend() {
        Backend::Sqlite => {
            exec(db, "DROP TRIGGER audit_log_no_update").await;
            exec(db, "DROP TRIGGER audit_log_no_delete").await;
        }
        Backend::Postgres => exec(db, "ALTER TABLE audit_log DISABLE TRIGGER USER").await,
    }
}

async fn verify_tamper_verify(engine: Engine) {
    let server = Server::start(engine).await;
    // Some activity beyond the demo seed.
    let _analyst = server.signed_in("analyst").await;
    let installation = &server.installation;
    let (code, out) = installation.audit_verify().await;
    assert_eq!(code, 0, "{out}");
    let entries: i64 = out.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(entries > 20, "{out}");

    let db = installation.db().await;

    // The administrators' page: filtered by who and what, verified from the page.
    let admin = server.signed_in("admin").await;
    let page = admin.get("/admin/audit?actor=analyst&action=signin").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let actions = page
        .html()
        .select(&scraper::Selector::parse("#audit tbody tr td:nth-child(4)").unwrap())
        .map(|c| c.text().collect::<String>())
        .collect::<Vec<_>>();
    assert!(!actions.is_empty() && actions.iter().all(|a| a.starts_with("signin.")), "{actions:?}");
    let who = page
        .html()
        .select(&scraper::Selector::parse("#audit tbody tr td:nth-child(3)").unwrap())
        .map(|c| c.text().collect::<String>())
        .collect::<Vec<_>>();
    assert!(who.iter().all(|w| w == "analyst"), "{who:?}");
    let verified = admin.get("/admin/audit?verify=1").await;
    assert!(verified.body.contains("The chain verifies"), "{}", verified.body);
    let bad = admin.get("/admin/audit?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let nobody = admin.get("/admin/audit?actor=mallory").await;
    assert!(nobody.body.contains("Nobody is called"), "{}", nobody.body);
    assert_eq!(server.signed_in("custodian1").await.get("/admin/audit").await.status, StatusCode::FORBIDDEN);
    assert!(audit_count(&db, "access.decision", "denied", Some("not_permitted")).await >= 1);

    // The database itself refuses changes while its guards stand.
    assert!(sqlx::query("UPDATE audit_log SET actor = 'system' WHERE seq = 3").execute(db.pool()).await.is_err());
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(db.pool()).await.is_err());

    // Past the guards (as someone with full access to the database could): change a field.
    lift_guards(&db).await;
    let (original,): (String,) =
        sqlx::query_as("SELECT details FROM audit_log WHERE seq = 7").fetch_one(db.pool()).await.unwrap();
    exec(&db, "UPDATE audit_log SET details = '{\"username\":\"mallory\"}' WHERE seq = 7").await;
    let (code, out) = installation.audit_verify().await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("broken at entry 7"), "{out}");
    let broken = admin.get("/admin/audit?verify=1").await;
    assert!(broken.body.contains("The chain does not verify") && broken.body.contains("7"), "{}", broken.body);
    sqlx::query("UPDATE audit_log SET details = $1 WHERE seq = 7").bind(&original).execute(db.pool()).await.unwrap();
    assert_eq!(installation.audit_verify().await.0, 0);

    // Delete an entry.
    exec(&db, "CREATE TABLE audit_backup AS SELECT * FROM audit_log WHERE seq = 12").await;
    exec(&db, "DELETE FROM audit_log WHERE seq = 12").await;
    let (code, out) = installation.audit_verify().await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("broken at entry 12"), "{out}");
    exec(&db, "INSERT INTO audit_log SELECT * FROM audit_backup").await;
    assert_eq!(installation.audit_verify().await.0, 0);

    // Reorder two entries.
    exec(&db, "UPDATE audit_log SET seq = -1 WHERE seq = 5").await;
    exec(&db, "UPDATE audit_log SET seq = 5 WHERE seq = 9").await;
    exec(&db, "UPDATE audit_log SET seq = 9 WHERE seq = -1").await;
    let (code, out) = installation.audit_verify().await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("broken at entry 5"), "{out}");
    exec(&db, "UPDATE audit_log SET seq = -1 WHERE seq = 5").await;
    exec(&db, "UPDATE audit_log SET seq = 5 WHERE seq = 9").await;
    exec(&db, "UPDATE audit_log SET seq = 9 WHERE seq = -1").await;
    // Restored, the chain verifies again (and teardown checks it once more).
    assert_eq!(installation.audit_verify().await.0, 0);
    server.stop().await;
}
both!(audit_verify_catches_changed_deleted_and_reordered_entries, verify_tamper_verify);
