//! The workspace page through the real binary: queries run in the project's runner process
//! over the demo extract, each audited; refusals are shown; a killed runner is replaced by
//! the next query; /readyz says which runner protections hold.

use crate::both;
use crate::harness::{Engine, Server, audit_count, demo_project};
use reqwest::StatusCode;

async fn workspace_queries(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let id = demo_project(&db).await;
    let workspace = format!("/projects/{id}/workspace");
    let analyst = server.signed_in("analyst").await;
    let page = analyst.get(&workspace).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<code>drug_exposure</code>"), "{}", page.body);

    let sql = "SELECT p.sex, COUNT(*) AS prescriptions FROM drug_exposure d JOIN person p ON d.person_id = p.person_id GROUP BY p.sex ORDER BY p.sex";
    let result = analyst.submit(&workspace, &workspace, &[("sql", sql)]).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    assert!(result.body.contains("<strong>aggregate</strong>"), "{}", result.body);
    let persons: Vec<String> = result
        .html()
        .select(&scraper::Selector::parse("td.persons").unwrap())
        .map(|e| e.text().collect::<String>())
        .collect();
    assert_eq!(persons.len(), 2, "{}", result.body);
    assert!(persons.iter().all(|p| p.trim().parse::<u64>().unwrap() > 0));
    assert_eq!(audit_count(&db, "workspace.query", "success", None).await, 1);

    // A statement that is not a read-only query is refused, shown, and audited as denied.
    let refused = analyst.submit(&workspace, &workspace, &[("sql", "DROP TABLE person")]).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.body.contains("refused: DROP TABLE"), "{}", refused.body);
    assert_eq!(audit_count(&db, "workspace.query", "denied", None).await, 1);

    // Kill the project's runner: the server carries on, and the next query starts a new one.
    let runners = || {
        let out = std::process::Command::new("pgrep").args(["-P", &server.pid().to_string(), "tre-runner"]).output();
        String::from_utf8_lossy(&out.unwrap().stdout).split_whitespace().map(String::from).collect::<Vec<_>>()
    };
    let before = runners();
    assert_eq!(before.len(), 1, "one runner for the one project in use: {before:?}");
    let killed = std::process::Command::new("kill").args(["-9", &before[0]]).status().unwrap();
    assert!(killed.success());
    // The signal is delivered asynchronously: wait until the runner is dead (a zombie or gone),
    // so the next query finds it dead rather than dying under it (that query would be told the
    // engine stopped, as designed, and the one after would start a new runner).
    let stat = format!("/proc/{}/stat", before[0]);
    for _ in 0..100 {
        match std::fs::read_to_string(&stat) {
            Ok(s) if !s.contains(") Z ") => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            _ => break,
        }
    }
    let again = analyst.submit(&workspace, &workspace, &[("sql", sql)]).await;
    assert!(again.body.contains("<strong>aggregate</strong>"), "{}", again.body);
    let after = runners();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, before, "a new runner replaced the killed one");

    let ready = server.client().get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert!(ready.body.contains("workspace runners"), "{}", ready.body);
    server.stop().await;
}
both!(workspace_queries_run_in_the_projects_runner_and_are_audited, workspace_queries);
