//! The release workflow through the real binary: an analyst saves a result as an output, the
//! gate judges it under the project's parameters (set and versioned by a custodian), the
//! analyst suppresses and asks for release, two independent custodians approve, and the
//! released table, its manifest and the ledger entry appear together. Every refusal of the
//! issue's bad input is tried: requester and member votes, second votes, an unreleased
//! download, bad parameters, asking for a failing version; concurrent approvals release once;
//! a later output that differs from the release by a few persons fails `differencing`.

use crate::both;
use crate::harness::{Client, Engine, Server, audit_count, demo_project, exec};
use reqwest::StatusCode;
use serde_json::Value;
use tre_server::db::Db;

const BY_REGION: &str = "SELECT region, COUNT(DISTINCT person_id) AS n FROM person GROUP BY region";

/// The newest output of the project: id, state, and its current version's status and judgement.
async fn newest(db: &Db) -> (i64, String, String, Value) {
    let (id, state, status, judgement): (i64, String, String, String) = sqlx::query_as(
        "SELECT o.id, o.state, v.status, v.judgement FROM outputs o JOIN output_versions v \
         ON v.output_id = o.id AND v.version = o.version ORDER BY o.id DESC LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    (id, state, status, serde_json::from_str(&judgement).unwrap())
}

async fn state_of(db: &Db, output: i64) -> String {
    sqlx::query_scalar("SELECT state FROM outputs WHERE id = $1").bind(output).fetch_one(db.pool()).await.unwrap()
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(db.pool()).await.unwrap()
}

async fn save(analyst: &Client, project: i64, title: &str, sql: &str, mitigation: &str) -> crate::harness::Page {
    let outputs = format!("/projects/{project}/outputs");
    analyst
        .submit(&outputs, &outputs, &[("title", title), ("sql", sql), ("purpose", "test"), ("mitigation", mitigation)])
        .await
}

async fn vote(custodian: &Client, output: i64, how: &str, comment: &str) -> crate::harness::Page {
    let page = format!("/custodian/outputs/{output}");
    custodian.submit(&page, &format!("{page}/vote"), &[("vote", how), ("comment", comment)]).await
}

async fn release_workflow(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let project = demo_project(&db).await;
    let analyst = server.signed_in("analyst").await;
    let custodian1 = server.signed_in("custodian1").await;
    let custodian2 = server.signed_in("custodian2").await;

    // Saved and judged under the defaults.
    let saved = save(&analyst, project, "Persons by region", BY_REGION, "none").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (output, state, _, judgement) = newest(&db).await;
    assert_eq!(state, "draft");
    let base = format!("/projects/{project}/outputs/{output}");
    assert_eq!(saved.location.as_deref(), Some(base.as_str()));
    let mut regions: Vec<(u64, String)> = judgement["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["persons"].as_u64().unwrap(), c["group"]["region"].as_str().unwrap().to_string()))
        .collect();
    regions.sort();
    assert!(regions.len() >= 3, "{judgement}");
    // One small region against the rest, with the total: the small one will fail.
    let (small, smallest) = regions[0].clone();
    let two_groups = format!(
        "SELECT CASE WHEN region = '{smallest}' THEN 'one' ELSE 'rest' END AS area, COUNT(DISTINCT person_id) AS n \
         FROM person GROUP BY ROLLUP(CASE WHEN region = '{smallest}' THEN 'one' ELSE 'rest' END)"
    );

    // A custodian sets the project's threshold just above its smallest region; bad
    // parameters are refused and audited.
    let params_page = format!("/custodian/gate-params?scope=project:{project}");
    let scope = format!("project:{project}");
    for bad in [r#"{"nk_k": 1.5}"#, r#"{"threshold": 10, "colour": "red"}"#, "not json"] {
        let p = custodian1
            .submit(&params_page, "/custodian/gate-params", &[("scope", &scope), ("params", bad), ("reason", "x")])
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", p.body);
        assert!(p.body.contains("not valid"), "{}", p.body);
    }
    assert_eq!(audit_count(&db, "gate.params_set", "denied", None).await, 3);
    let threshold = format!(r#"{{"threshold": {}}}"#, small + 1);
    let set = custodian1
        .submit(
            &params_page,
            "/custodian/gate-params",
            &[("scope", &scope), ("params", &threshold), ("reason", "small regions in this cohort")],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    assert_eq!(audit_count(&db, "gate.params_set", "success", None).await, 1);

    // Judged again under them, the smallest region fails; a failing version cannot be asked for.
    let revised =
        analyst.submit(&base, &format!("{base}/versions"), &[("sql", &two_groups), ("mitigation", "none")]).await;
    assert_eq!(revised.status, StatusCode::SEE_OTHER, "{}", revised.body);
    let (_, _, status, judgement) = newest(&db).await;
    assert_eq!(status, "fail", "{judgement}");
    let asked = analyst.submit(&base, &format!("{base}/submit"), &[]).await;
    assert_eq!(asked.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", asked.body);
    assert!(asked.body.contains("suppress the failing cells"), "{}", asked.body);
    assert_eq!(audit_count(&db, "output.submit", "denied", None).await, 1);

    // Suppressed: the failing region and one more (the total is published), then it passes.
    let revised =
        analyst.submit(&base, &format!("{base}/versions"), &[("sql", &two_groups), ("mitigation", "suppress")]).await;
    assert_eq!(revised.status, StatusCode::SEE_OTHER, "{}", revised.body);
    let (_, _, status, judgement) = newest(&db).await;
    assert_eq!(status, "pass", "{judgement}");
    let cells = judgement["cells"].as_array().unwrap();
    let blanked = |kind: &str| cells.iter().filter(|c| c["suppression"] == kind).count();
    assert_eq!((blanked("primary"), blanked("secondary")), (1, 1), "{judgement}");
    assert!(cells.iter().filter(|c| c["suppressed"] == true).all(|c| c["value"].is_null()), "{judgement}");
    let page = analyst.get(&base).await;
    assert!(page.body.contains("suppressed (secondary)"), "{}", page.body);
    assert!(page.body.contains(&format!("project:{project} v1")), "the parameters' version is shown: {}", page.body);

    // Nothing can be downloaded before release.
    let early = analyst.get(&format!("{base}/release.csv")).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN);
    assert_eq!(audit_count(&db, "output.download", "denied", Some("not_released")).await, 1);

    let asked = analyst.submit(&base, &format!("{base}/submit"), &[]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let inbox = custodian1.get("/").await.body;
    assert!(inbox.contains("waits for release review"), "{inbox}");
    let queue = custodian1.get("/custodian/outputs").await;
    assert!(queue.body.contains("Persons by region"), "{}", queue.body);
    // The queue carries the gate's summary; the review page each cell's evidence beside its
    // value, never a person's own contribution.
    let gate = queue.text("td.gate").unwrap_or_default();
    assert!(gate.contains("pass") && gate.contains("2 cells suppressed: 1 failing, 1 to protect them"), "{gate}");
    let review = custodian1.get(&format!("/custodian/outputs/{output}")).await;
    let evidence = review.text("td.evidence").unwrap_or_default();
    assert!(evidence.contains("with a value") && evidence.contains("largest") && evidence.contains('%'), "{evidence}");

    // The analyst is no custodian: the platform refuses. Made one, the analyst still may not
    // vote on their own request; a custodian who is a project member may not either.
    let refused = analyst.post_raw(&format!("/custodian/outputs/{output}/vote"), &[("vote", "approve")]).await;
    assert!(matches!(refused.status, StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST), "{}", refused.status);
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    exec(
        &db,
        &format!("INSERT INTO platform_roles (person_id, role, granted_at) VALUES ({analyst_id}, 'custodian', 0)"),
    )
    .await;
    let own = vote(&analyst, output, "approve", "").await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);
    assert!(own.body.contains("You asked for this release"), "{}", own.body);
    exec(&db, &format!("DELETE FROM platform_roles WHERE person_id = {analyst_id} AND role = 'custodian'")).await;
    let c2: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'custodian2'").fetch_one(db.pool()).await.unwrap();
    exec(
        &db,
        &format!("INSERT INTO project_members (project_id, person_id, role, starts_on) VALUES ({project}, {c2}, 'observer', '2026-01-01')"),
    )
    .await;
    let member = vote(&custodian2, output, "approve", "").await;
    assert!(member.body.contains("member of this project"), "{}", member.body);
    exec(&db, &format!("DELETE FROM project_members WHERE person_id = {c2}")).await;
    assert_eq!(audit_count(&db, "output.vote", "denied", Some("requester")).await, 1);
    assert_eq!(audit_count(&db, "output.vote", "denied", Some("member")).await, 1);

    // Rejecting needs a comment; one approval does not release; a second vote is refused.
    let bare = vote(&custodian1, output, "reject", " ").await;
    assert!(bare.body.contains("in the comment"), "{}", bare.body);
    let first = vote(&custodian1, output, "approve", "fine").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    assert_eq!(state_of(&db, output).await, "submitted");
    // The analyst sees the custodians' comments beside the output, in the workspace too.
    let workspace = analyst.get(&format!("/projects/{project}/workspace")).await;
    let comments = workspace.text("#workspace-outputs td.comments").unwrap_or_default();
    assert!(comments.contains("fine"), "{}", workspace.body);
    let again = vote(&custodian1, output, "approve", "").await;
    assert!(again.body.contains("voted on this version already"), "{}", again.body);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM releases").await, 0);

    // The second independent approval releases: table, manifest and ledger together.
    let second = vote(&custodian2, output, "approve", "").await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.body);
    assert_eq!(state_of(&db, output).await, "released");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM releases").await, 1);
    assert_eq!(count(&db, &format!("SELECT releases FROM ledgers WHERE project_id = {project}")).await, 1);
    let csv = analyst.get(&format!("{base}/release.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut lines = csv.body.lines();
    assert_eq!(lines.next(), Some("area,n"));
    let mut rows: Vec<&str> = lines.collect();
    rows.sort();
    assert_eq!(rows.len(), 3, "{}", csv.body);
    assert_eq!(&rows[1..], &["one,", "rest,"], "suppressed cells are blank: {}", csv.body);
    assert!(rows[0].starts_with(',') && rows[0].len() > 1, "the total is published: {}", csv.body);
    let manifest: Value = serde_json::from_str(&analyst.get(&format!("{base}/manifest.json")).await.body).unwrap();
    assert_eq!(manifest["reviewers"].as_array().unwrap().len(), 2, "{manifest}");
    assert_eq!(manifest["parameters"]["version"], format!("project:{project} v1"));
    assert!(manifest["cells"].as_array().unwrap().iter().any(|c| c["verdict"] == "suppressed"), "{manifest}");
    assert!(!manifest.to_string().contains("fewer than"), "no suppressed cell's details: {manifest}");
    assert_eq!(audit_count(&db, "output.release", "success", None).await, 1);
    assert_eq!(audit_count(&db, "output.download", "success", None).await, 2);
    let inbox = analyst.get("/").await.body;
    assert!(inbox.contains("is released."), "{inbox}");
    // The public register names the release, not its contents.
    let register = server.client().get("/register").await;
    assert!(register.body.contains("Persons by region ("), "{}", register.body);
    assert!(!register.body.contains(&csv.body), "{}", register.body);
    let late = vote(&custodian1, output, "reject", "too late").await;
    assert!(late.body.contains("not waiting for votes"), "{}", late.body);

    // The total without the small region differs from the released total by fewer persons
    // than the threshold: differencing.
    let rest = format!("SELECT COUNT(DISTINCT person_id) AS n FROM person WHERE region <> '{smallest}'");
    let saved = save(&analyst, project, "All but one region", &rest, "none").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, _, status, judgement) = newest(&db).await;
    assert_eq!(status, "fail", "{judgement}");
    assert!(judgement.to_string().contains("differencing"), "{judgement}");

    // Two custodians approving the same output at the same moment release it once.
    let by_sex = "SELECT sex, COUNT(DISTINCT person_id) AS n FROM person GROUP BY sex";
    save(&analyst, project, "Persons by sex", by_sex, "suppress").await;
    let (both_output, _, status, judgement) = newest(&db).await;
    assert_eq!(status, "pass", "{judgement}");
    let p = format!("/projects/{project}/outputs/{both_output}");
    analyst.submit(&p, &format!("{p}/submit"), &[]).await;
    let (a, b) =
        tokio::join!(vote(&custodian1, both_output, "approve", ""), vote(&custodian2, both_output, "approve", ""));
    assert!(a.status == StatusCode::SEE_OTHER || b.status == StatusCode::SEE_OTHER, "{} {}", a.body, b.body);
    assert_eq!(
        count(&db, &format!("SELECT COUNT(*) FROM releases WHERE output_id = {both_output}")).await,
        i64::from(state_of(&db, both_output).await == "released")
    );
    if state_of(&db, both_output).await != "released" {
        // One of them was told to vote again (the ledger moved, or it raced); doing so releases.
        let retry = if a.status == StatusCode::SEE_OTHER { &custodian2 } else { &custodian1 };
        let r = vote(retry, both_output, "approve", "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    assert_eq!(state_of(&db, both_output).await, "released");
    assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM releases WHERE output_id = {both_output}")).await, 1);
    assert_eq!(count(&db, &format!("SELECT releases FROM ledgers WHERE project_id = {project}")).await, 2);

    // Saved from the workspace page's own form; then the project is suspended (law 7): the
    // request stops, and a vote on it is refused.
    let workspace = format!("/projects/{project}/workspace");
    let shown = analyst.submit(&workspace, &workspace, &[("sql", by_sex)]).await;
    assert!(shown.body.contains("Save as output"), "{}", shown.body);
    let saved = analyst
        .submit(&workspace, &format!("/projects/{project}/outputs"), &[("sql", by_sex), ("title", "Again")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (late_output, _, _, _) = newest(&db).await;
    let p = format!("/projects/{project}/outputs/{late_output}");
    analyst.submit(&p, &format!("{p}/submit"), &[]).await;
    assert_eq!(state_of(&db, late_output).await, "submitted");
    exec(&db, &format!("UPDATE projects SET status = 'suspended' WHERE id = {project}")).await;
    let stopped = vote(&custodian1, late_output, "approve", "").await;
    assert!(stopped.body.contains("release requests are stopped"), "{}", stopped.body);
    assert_eq!(state_of(&db, late_output).await, "stopped");
    assert_eq!(audit_count(&db, "output.stop", "success", None).await, 1);
    assert_eq!(audit_count(&db, "output.vote", "denied", Some("project_not_open")).await, 1);
    server.stop().await;
}
both!(outputs_are_judged_suppressed_reviewed_by_two_custodians_and_released_once, release_workflow);
