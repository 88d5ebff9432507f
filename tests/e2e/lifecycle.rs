//! Law 7 through the real binary: a custodian suspends the project and its workspace runner
//! stops at once, its release requests stop, and the analyst is refused; lifting it restores
//! access; a project whose end date passes is closed by the background sweep (every second
//! here) with its runner stopped. The public register shows the project without sign-in. With
//! the server's clock moved instead of the data, each kind of end date (accreditation,
//! membership, approval) stops the runner, the open request and the access decision.

use crate::both;
use crate::harness::{Engine, Installation, Server, audit_count, day, demo_project, exec};
use reqwest::StatusCode;
use std::time::Duration;

fn runners(server: &Server) -> usize {
    let out = std::process::Command::new("pgrep").args(["-P", &server.pid().to_string(), "tre-runner"]).output();
    String::from_utf8_lossy(&out.unwrap().stdout).split_whitespace().count()
}

/// Whether, within ten seconds, no release request is left in `state`, no runner runs, and
/// more than `stops_before` runner stops are audited. The sweep stops the runner before it
/// writes the audit entry, so "no runner" alone can be seen before the entry is there.
async fn stopped_within_seconds(db: &tre_server::db::Db, server: &Server, state: &str, stops_before: usize) -> bool {
    for _ in 0..100 {
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outputs WHERE state = $1")
            .bind(state)
            .fetch_one(db.pool())
            .await
            .unwrap();
        if open == 0 && runners(server) == 0 && audit_reasons(db, "workspace.stop").await.len() > stops_before {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn lifecycle(engine: Engine) {
    let server = Server::start_with(Installation::new(engine).await, &[("TRE_LIFECYCLE_CHECK_SECONDS", "1")]).await;
    let db = server.installation.db().await;
    let project = demo_project(&db).await;

    // The register, for anyone.
    let anyone = server.client();
    let register = anyone.get("/register").await;
    assert_eq!(register.status, StatusCode::OK);
    assert!(
        register.body.contains("Demo: drug utilisation") && register.body.contains("demo-omop"),
        "{}",
        register.body
    );
    assert!(register.body.contains("Demo hospital research office"), "{}", register.body);
    let json: serde_json::Value = serde_json::from_str(&anyone.get("/register.json").await.body).unwrap();
    assert_eq!(json["projects"][0]["status"], "approved", "{json}");
    assert_eq!(json["projects"][0]["datasets"][0], "demo-omop", "{json}");

    let analyst = server.signed_in("analyst").await;
    let custodian = server.signed_in("custodian1").await;
    let board = server.signed_in("board1").await;
    let workspace = format!("/projects/{project}/workspace");
    let outputs = format!("/projects/{project}/outputs");
    let sql = "SELECT sex, COUNT(DISTINCT person_id) AS n FROM person GROUP BY sex";
    let shown = analyst.submit(&workspace, &workspace, &[("sql", sql)]).await;
    assert!(shown.body.contains("<strong>aggregate</strong>"), "{}", shown.body);
    assert_eq!(runners(&server), 1);
    let saved = analyst.submit(&outputs, &outputs, &[("title", "By sex"), ("sql", sql)]).await;
    let output = saved.location.unwrap();
    analyst.submit(&output, &format!("{output}/submit"), &[]).await;

    // Only custodians and board members may suspend; a reason is needed.
    let status = format!("/custodian/projects/{project}/status");
    assert_eq!(analyst.get(&status).await.status, StatusCode::FORBIDDEN);
    assert_eq!(board.get(&status).await.status, StatusCode::OK);
    let bare = custodian.submit(&status, &format!("/custodian/projects/{project}/suspend"), &[("reason", " ")]).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    let suspended = custodian
        .submit(
            &status,
            &format!("/custodian/projects/{project}/suspend"),
            &[("reason", "consent withdrawn for a site")],
        )
        .await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER, "{}", suspended.body);

    // At once: runner gone, request stopped, analyst refused.
    assert_eq!(runners(&server), 0, "the runner stops with the suspension");
    let state: String = sqlx::query_scalar("SELECT state FROM outputs").fetch_one(db.pool()).await.unwrap();
    assert_eq!(state, "stopped");
    assert_eq!(analyst.get(&workspace).await.status, StatusCode::FORBIDDEN);
    assert_eq!(audit_count(&db, "project.suspend", "success", None).await, 1);
    assert_eq!(audit_count(&db, "workspace.stop", "success", None).await, 1);
    assert_eq!(audit_count(&db, "output.stop", "success", None).await, 1);
    let home = analyst.get("/").await;
    assert!(home.body.contains("was suspended: consent withdrawn for a site."), "{}", home.body);

    // Lifted by a board member: access returns.
    let lifted =
        board.submit(&status, &format!("/custodian/projects/{project}/lift"), &[("reason", "site re-consented")]).await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER, "{}", lifted.body);
    let again = analyst.submit(&workspace, &workspace, &[("sql", sql)]).await;
    assert!(again.body.contains("<strong>aggregate</strong>"), "{}", again.body);
    assert_eq!(runners(&server), 1);

    // The analyst's membership ends: the sweep stops their open request and the runner none
    // of whose members has access; restored, the workspace works again.
    let saved = analyst.submit(&outputs, &outputs, &[("title", "By sex again"), ("sql", sql)]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stops = audit_reasons(&db, "workspace.stop").await.len();
    exec(&db, &format!("UPDATE project_members SET ends_on = '{}' WHERE project_id = {project}", day(-1))).await;
    let cut = stopped_within_seconds(&db, &server, "draft", stops).await;
    assert!(cut, "the request and the runner stopped when the membership ended");
    assert_eq!(audit_count(&db, "output.stop", "success", Some("membership_not_active")).await, 1);
    exec(&db, &format!("UPDATE project_members SET ends_on = NULL WHERE project_id = {project}")).await;
    let again = analyst.submit(&workspace, &workspace, &[("sql", sql)]).await;
    assert!(again.body.contains("<strong>aggregate</strong>"), "{}", again.body);

    // An accreditation ending in five days is reminded (30 and 7 days before), once each.
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    exec(&db, &format!("UPDATE training_records SET expires_on = '{}' WHERE person_id = {analyst_id}", day(5))).await;
    let mut reminded = 0;
    for _ in 0..100 {
        reminded =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM notifications WHERE dedupe_key LIKE 'accreditation:%'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        if reminded == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reminded, 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let home = analyst.get("/").await;
    assert_eq!(home.body.matches("in 5 days").count(), 2, "{}", home.body);

    // The approval runs out: the sweep closes the project and stops its runner within seconds.
    let copies = server.installation.data_dir.join("runners").join(format!("project-{project}"));
    assert!(copies.exists(), "the runner's local copies of the extract are there before");
    exec(&db, &format!("UPDATE projects SET starts_on = '{}', ends_on = '{}' WHERE id = {project}", day(-30), day(-1)))
        .await;
    // The sweep stops the runner before it removes the local copies, so the test waits for
    // both: just after the runner stopped, the copies may still be there.
    let (mut closed, mut removed) = (false, false);
    for _ in 0..100 {
        let status: String = sqlx::query_scalar("SELECT status FROM projects WHERE id = $1")
            .bind(project)
            .fetch_one(db.pool())
            .await
            .unwrap();
        closed = status == "closed" && runners(&server) == 0;
        removed = !copies.exists();
        if closed && removed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "the sweep closed the project and stopped its runner");
    assert!(removed, "local copies of the extract are removed");
    assert_eq!(audit_count(&db, "project.close", "success", None).await, 1);
    assert_eq!(audit_count(&db, "extract.archive", "success", None).await, 1);
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM extracts WHERE archived_at IS NULL")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(live, 0, "the closed project's extract is archived");
    let home = analyst.get("/").await;
    assert!(home.body.contains("was closed: its approved end date passed."), "{}", home.body);
    assert_eq!(analyst.get(&workspace).await.status, StatusCode::FORBIDDEN);
    let json: serde_json::Value = serde_json::from_str(&anyone.get("/register.json").await.body).unwrap();
    assert_eq!(json["projects"][0]["status"], "closed", "{json}");
    server.stop().await;
}
both!(suspension_and_end_of_approval_stop_every_access_at_once, lifecycle);

/// The reasons recorded with each `action` audit entry.
async fn audit_reasons(db: &tre_server::db::Db, action: &str) -> Vec<String> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT details FROM audit_log WHERE action = $1 ORDER BY seq")
        .bind(action)
        .fetch_all(db.pool())
        .await
        .unwrap();
    rows.iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(d).unwrap()["reason"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Law 7 with the server's clock moved, not the data: the analyst's accreditation ends in 10
/// days, their membership in 20, the approval in 30. For each, the analyst has a runner going
/// and a release request waiting; the clock moves past the date; within seconds (the
/// background check runs every second here, every minute by default) the runner and the request
/// stop, each audited with its reason, and the access decision refuses the analyst when they
/// sign in again. The lapse is then mended (except the last), and the next one comes.
async fn moved_clock(engine: Engine) {
    let server =
        Server::start_with_clock(Installation::new(engine).await, &[("TRE_LIFECYCLE_CHECK_SECONDS", "1")]).await;
    let db = server.installation.db().await;
    let project = demo_project(&db).await;
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    let ready = server.client().get("/readyz").await;
    assert!(ready.body.contains("clock: shifted by 0 s"), "{}", ready.body);
    exec(&db, &format!("UPDATE training_records SET expires_on = '{}' WHERE person_id = {analyst_id}", day(10))).await;
    exec(&db, &format!("UPDATE project_members SET ends_on = '{}' WHERE project_id = {project}", day(20))).await;
    exec(&db, &format!("UPDATE projects SET starts_on = '{}', ends_on = '{}' WHERE id = {project}", day(-5), day(30)))
        .await;

    let workspace = format!("/projects/{project}/workspace");
    let outputs = format!("/projects/{project}/outputs");
    let sql = "SELECT sex, COUNT(DISTINCT person_id) AS n FROM person GROUP BY sex";
    let ends = [
        (11, "training_expired", format!("UPDATE training_records SET expires_on = '{}'", day(400))),
        (10, "membership_not_active", format!("UPDATE project_members SET ends_on = '{}'", day(400))),
        (10, "project_ended", String::new()),
    ];
    // One sign-in per moved time: a one-time code is taken once per account per 30 s.
    let mut analyst = server.signed_in("analyst").await;
    for (round, (days, code, mend)) in ends.iter().enumerate() {
        let shown = analyst.submit(&workspace, &workspace, &[("sql", sql)]).await;
        assert!(shown.body.contains("<strong>aggregate</strong>"), "{code}: {}", shown.body);
        assert_eq!(runners(&server), 1, "{code}");
        let saved = analyst.submit(&outputs, &outputs, &[("title", code), ("sql", sql)]).await;
        let output = saved.location.unwrap();
        analyst.submit(&output, &format!("{output}/submit"), &[]).await;

        server.advance_clock(*days);
        let cut = stopped_within_seconds(&db, &server, "submitted", round).await;
        assert!(cut, "{code}: the runner and the request stopped within seconds of the moved date");
        let stops = audit_reasons(&db, "workspace.stop").await;
        assert_eq!(stops.len(), round + 1, "{stops:?}");
        let requests = audit_reasons(&db, "output.stop").await;
        assert_eq!(requests.len(), round + 1, "{requests:?}");
        if *code == "project_ended" {
            assert_eq!(stops[round], "the project is closed");
            assert_eq!(requests[round], "its approved end date passed");
            assert_eq!(audit_count(&db, "project.close", "success", None).await, 1);
        } else {
            assert_eq!(
                stops[round],
                format!("no member of the project has access any more (person {analyst_id}: {code})")
            );
            assert_eq!(requests[round], *code);
        }

        // The old session has run out with the moved time; signed in again, the analyst is refused.
        assert_eq!(analyst.get(&workspace).await.location.as_deref(), Some("/signin"), "{code}");
        analyst = server.signed_in("analyst").await;
        let refused = analyst.get(&workspace).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{code}: {}", refused.body);
        let expected = if *code == "project_ended" { "project_not_approved" } else { code };
        assert!(audit_count(&db, "access.decision", "denied", Some(expected)).await >= 1, "{code}");
        if !mend.is_empty() {
            exec(&db, mend).await;
        }
    }
    server.stop().await;
}
both!(moving_the_clock_past_each_end_date_stops_every_access, moved_clock);
