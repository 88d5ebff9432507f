//! Applications and the ethics board through the real binary: a draft saved and completed,
//! refused submissions (incomplete, unknown team member, lapsed accreditation), conflicts of
//! interest declared, refused votes (undeclared, conflicted, second vote, missing comment),
//! changes requested and answered with a new version, and an approval with conditions that
//! creates the project with its team and puts it on the public register.

use crate::both;
use crate::harness::{Client, Engine, Installation, Server, audit_count, day, exec};
use reqwest::StatusCode;
use tre_server::db::Db;

async fn state(db: &Db, id: i64) -> (String, i64, Option<i64>) {
    sqlx::query_as("SELECT state, version, project_id FROM applications WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

fn fields<'a>(
    title: &'a str,
    team: &'a str,
    request: &'a str,
    starts: &'a str,
    ends: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("purpose", "Who starts which second-line drug after metformin, and when."),
        ("lay_summary", "Which diabetes medicines people are given after the first one stops working."),
        ("public_benefit", "Better guidance on second-line treatment."),
        ("organisation", "Faculty of Medicine"),
        ("team", team),
        ("datasets", "demo-omop"),
        ("data_request", request),
        ("ethics_reference", "IRB-2026-017"),
        ("starts_on", starts),
        ("ends_on", ends),
        ("outputs_intended", "Counts by drug and year, suppressed below 10"),
    ]
}

async fn vote(board: &Client, id: i64, how: &str, comment: &str) -> crate::harness::Page {
    let page = format!("/board/applications/{id}");
    board.submit(&page, &format!("{page}/vote"), &[("vote", how), ("comment", comment)]).await
}

async fn declare(board: &Client, id: i64, conflicted: &str) -> crate::harness::Page {
    let page = format!("/board/applications/{id}");
    board.submit(&page, &format!("{page}/declare"), &[("conflicted", conflicted), ("note", "")]).await
}

async fn applications(engine: Engine) {
    let server = Server::start_with(Installation::new(engine).await, &[("TRE_BOARD_QUORUM", "2")]).await;
    let db = server.installation.db().await;
    let analyst = server.signed_in("analyst").await;
    let (board1, board2, board3) =
        (server.signed_in("board1").await, server.signed_in("board2").await, server.signed_in("board3").await);
    let custodian = server.signed_in("custodian1").await;

    // A draft with a title only is saved; submitting it is refused for what is missing.
    let saved = analyst.submit("/applications/new", "/applications", &[("title", "Second-line therapy")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = saved.location.unwrap();
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let refused = analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("is required"), "{}", refused.body);

    // Complete, but naming a column the dataset lacks, or ending in the past.
    let (past_start, past_end) = (day(-30), day(-1));
    analyst
        .submit(&page, &page, &fields("Second-line therapy", "admin", "person: sex, height", &past_start, &past_end))
        .await;
    let refused = analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert!(refused.body.contains("The end date is in the past."), "{}", refused.body);
    analyst
        .submit(&page, &page, &fields("Second-line therapy", "admin", "person: sex, height", &day(0), &day(365)))
        .await;
    let refused = analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert!(refused.body.contains("The table person has no column height."), "{}", refused.body);
    assert_eq!(audit_count(&db, "application.submit", "denied", Some("unknown_data")).await, 1);

    // Complete, but with a team member who does not exist.
    let (starts, ends) = (day(0), day(365));
    let edited = analyst
        .submit(&page, &page, &fields("Second-line therapy", "admin, nobody", "person: sex", &starts, &ends))
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let refused = analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert!(refused.body.contains("not people of the platform: nobody"), "{}", refused.body);
    analyst.submit(&page, &page, &fields("Second-line therapy", "admin", "person: sex", &starts, &ends)).await;
    let submitted = analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.body);
    assert_eq!(state(&db, id).await, ("submitted".into(), 1, None));
    // Frozen: no edit while the board has it; nobody else sees it; only the board reviews.
    let frozen = analyst.post_raw(&page, &[("csrf_token", &analyst.get(&page).await.csrf()), ("title", "x")]).await;
    assert_eq!(frozen.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", frozen.body);
    assert_eq!(custodian.get(&page).await.status, StatusCode::NOT_FOUND);
    assert_eq!(analyst.get("/board/applications").await.status, StatusCode::FORBIDDEN);
    assert!(board1.get("/board/applications").await.body.contains("Second-line therapy"));
    let inbox = board1.get("/").await.body;
    assert!(inbox.contains("(version 1) waits for the ethics board"), "{inbox}");

    // Votes need a declaration; a conflicted member cannot vote; changes need a comment.
    let early = vote(&board1, id, "approve", "").await;
    assert!(early.body.contains("Declare whether you have a conflict"), "{}", early.body);
    declare(&board1, id, "no").await;
    declare(&board2, id, "yes").await;
    declare(&board3, id, "no").await;
    let again = declare(&board1, id, "yes").await;
    assert!(again.body.contains("declared already"), "{}", again.body);
    let conflicted = vote(&board2, id, "approve", "").await;
    assert!(conflicted.body.contains("conflict of interest"), "{}", conflicted.body);
    let bare = vote(&board1, id, "request_changes", "").await;
    assert!(bare.body.contains("in the comment"), "{}", bare.body);
    assert_eq!(vote(&board1, id, "request_changes", "Say which cohort.").await.status, StatusCode::SEE_OTHER);
    let twice = vote(&board1, id, "approve", "").await;
    assert!(twice.body.contains("voted on this version already"), "{}", twice.body);
    assert_eq!(vote(&board3, id, "approve", "").await.status, StatusCode::SEE_OTHER);
    // The quorum of two unconflicted votes: one of two approves, so back to the applicant.
    assert_eq!(state(&db, id).await, ("changes_requested".into(), 1, None));
    assert!(analyst.get(&page).await.body.contains("Say which cohort."));

    // The answer is a new version, voted on afresh; approval with a condition makes the project.
    let request = "person: sex, year_of_birth\ncohort: E11.9";
    analyst.submit(&page, &page, &fields("Second-line therapy", "admin", request, &starts, &ends)).await;
    analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert_eq!(state(&db, id).await, ("submitted".into(), 2, None));
    assert_eq!(
        vote(&board1, id, "approve_with_conditions", "Report yearly to the board.").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(vote(&board3, id, "approve", "").await.status, StatusCode::SEE_OTHER);
    let (s, version, project) = state(&db, id).await;
    assert_eq!((s.as_str(), version), ("approved", 2));
    let project = project.expect("the approval made a project");
    let members: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.username, m.role FROM project_members m JOIN people p ON p.id = m.person_id \
         WHERE m.project_id = $1 ORDER BY p.username",
    )
    .bind(project)
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(members, vec![("admin".into(), "analyst".into()), ("analyst".into(), "principal_investigator".into())]);
    assert!(analyst.get(&page).await.body.contains("Report yearly to the board."));
    let inbox = analyst.get("/").await.body;
    assert!(inbox.contains("The ethics board decided on “Second-line therapy”: approved."), "{inbox}");
    // The same notification, read in Japanese.
    let ja = analyst.get_with_language("/", "ja").await.body;
    assert!(ja.contains("倫理審査委員会が「Second-line therapy」について決定しました：承認"), "{ja}");
    assert_eq!(analyst.get(&format!("/projects/{project}")).await.status, StatusCode::OK);
    let register = server.client().get("/register").await;
    assert!(register.body.contains("Second-line therapy"), "{}", register.body);
    assert!(register.body.contains("Which diabetes medicines people are given"), "{}", register.body);
    assert_eq!(audit_count(&db, "application.decide", "success", None).await, 2);
    assert_eq!(audit_count(&db, "project.create", "success", None).await, 1);
    assert_eq!(audit_count(&db, "application.vote", "denied", Some("conflicted")).await, 1);

    // An amendment (no more second analyst, an earlier end) changes nothing until approved.
    let shorter = day(200);
    analyst.submit(&page, &page, &fields("Second-line therapy", "", request, &starts, &shorter)).await;
    assert_eq!(state(&db, id).await.0, "amending");
    let ends_on = |db: Db| async move {
        sqlx::query_scalar::<_, String>("SELECT ends_on FROM projects WHERE id = $1")
            .bind(project)
            .fetch_one(db.pool())
            .await
            .unwrap()
    };
    assert_eq!(ends_on(db.clone()).await, day(365));
    analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert_eq!(state(&db, id).await, ("amendment_submitted".into(), 3, Some(project)));
    assert!(board1.get("/board/applications").await.body.contains("Second-line therapy"));
    // The board sees what the amendment changes from the approved version, field by field.
    let review = board1.get(&format!("/board/applications/{id}")).await;
    assert!(review.body.contains("Changes since version 2"), "{}", review.body);
    assert!(review.body.contains("<h3>Team</h3>") && review.body.contains("<h3>Dates</h3>"), "{}", review.body);
    assert!(!review.body.contains("<h3>Purpose</h3>"), "an unchanged field is not listed");
    let removed = review.text("#changes li.diff-removed").unwrap_or_default();
    assert!(removed.starts_with("−") && removed.ends_with("admin"), "{removed}");
    assert_eq!(vote(&board1, id, "approve", "").await.status, StatusCode::SEE_OTHER);
    assert_eq!(ends_on(db.clone()).await, day(365), "one vote changes nothing");
    assert_eq!(vote(&board3, id, "approve", "").await.status, StatusCode::SEE_OTHER);
    assert_eq!(state(&db, id).await.0, "approved");
    assert_eq!(ends_on(db.clone()).await, shorter);
    let admin_ends: Option<String> = sqlx::query_scalar(
        "SELECT m.ends_on FROM project_members m JOIN people p ON p.id = m.person_id \
         WHERE m.project_id = $1 AND p.username = 'admin'",
    )
    .bind(project)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(admin_ends, Some(day(-1)), "the analyst left out loses access at once");
    assert_eq!(audit_count(&db, "project.amend", "success", None).await, 1);

    // After the decision no vote counts.
    let late = vote(&board2, id, "reject", "too late").await;
    assert!(late.body.contains("not waiting for votes"), "{}", late.body);
    let inbox = analyst.get("/").await.body;
    let approved = "decided on the amendment of “Second-line therapy”: approved; the project now follows it.";
    assert!(inbox.contains(approved), "{inbox}");
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT n.message FROM notifications n JOIN people p ON p.id = n.person_id \
         WHERE p.username = 'admin' AND n.dedupe_key LIKE 'application:%:member:%'",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    // Kept as a catalogue message, so that each person reads it in their own language.
    let told: Vec<String> =
        told.iter().map(|m| tre_server::i18n::en(&serde_json::from_str(m).expect("a message"))).collect();
    assert_eq!(told, ["Your membership ended in the project “Second-line therapy” with an approved amendment."]);

    // An amendment can be withdrawn, or rejected: either way the approved text comes back.
    let renamed = fields("Second-line therapy, renamed", "", request, &starts, &shorter);
    analyst.submit(&page, &page, &renamed).await;
    assert_eq!(state(&db, id).await.0, "amending");
    let withdrawn = analyst.submit(&page, &format!("{page}/withdraw"), &[]).await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER, "{}", withdrawn.body);
    assert_eq!(state(&db, id).await, ("approved".into(), 3, Some(project)));
    assert!(!analyst.get(&page).await.body.contains("renamed"));
    analyst.submit(&page, &page, &renamed).await;
    analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert_eq!(state(&db, id).await, ("amendment_submitted".into(), 4, Some(project)));
    assert_eq!(vote(&board1, id, "reject", "The title was right.").await.status, StatusCode::SEE_OTHER);
    assert_eq!(vote(&board3, id, "reject", "Keep it.").await.status, StatusCode::SEE_OTHER);
    assert_eq!(state(&db, id).await, ("approved".into(), 4, Some(project)));
    assert!(!analyst.get(&page).await.body.contains("renamed"));
    let inbox = analyst.get("/").await.body;
    assert!(inbox.contains("rejected; the project stays as it was."), "{inbox}");
    let title: String = sqlx::query_scalar("SELECT title FROM projects WHERE id = $1")
        .bind(project)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(title, "Second-line therapy");
    assert_eq!(audit_count(&db, "application.withdraw", "success", None).await, 1);

    // Two votes at once that would each reach the quorum: one decides, the other is refused.
    let saved = analyst
        .submit("/applications/new", "/applications", &fields("Concurrent", "", "person: sex", &starts, &ends))
        .await;
    let second = saved.location.unwrap();
    let second_id: i64 = second.rsplit('/').next().unwrap().parse().unwrap();
    analyst.submit(&second, &format!("{second}/submit"), &[]).await;
    for b in [&board1, &board2, &board3] {
        declare(b, second_id, "no").await;
    }
    assert_eq!(vote(&board1, second_id, "approve", "").await.status, StatusCode::SEE_OTHER);
    let (a, b) = tokio::join!(vote(&board2, second_id, "approve", ""), vote(&board3, second_id, "approve", ""));
    let ok = [&a, &b].iter().filter(|p| p.status == StatusCode::SEE_OTHER).count();
    assert_eq!(ok, 1, "{} / {}", a.body, b.body);
    assert!([&a, &b].iter().any(|p| p.body.contains("not waiting for votes")));
    let decided: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM board_decisions WHERE application_id = $1")
        .bind(second_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(decided, 1);
    assert_eq!(audit_count(&db, "project.create", "success", None).await, 2);

    // A closed project cannot be amended.
    exec(&db, &format!("UPDATE projects SET status = 'closed' WHERE id = {project}")).await;
    analyst.submit(&page, &page, &fields("Second-line therapy", "", request, &starts, &day(100))).await;
    let closed = analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert!(closed.body.contains("The project is closed; it cannot be amended."), "{}", closed.body);

    // A lapsed accreditation cannot apply.
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    exec(
        &db,
        &format!(
            "UPDATE training_records SET completed_on = '{}', expires_on = '{}' WHERE person_id = {analyst_id}",
            day(-400),
            day(-1)
        ),
    )
    .await;
    let saved = analyst
        .submit("/applications/new", "/applications", &fields("Another", "", "person: sex", &starts, &ends))
        .await;
    let other = saved.location.unwrap();
    let lapsed = analyst.submit(&other, &format!("{other}/submit"), &[]).await;
    assert!(lapsed.body.contains("Only accredited people can apply"), "{}", lapsed.body);
    assert_eq!(audit_count(&db, "application.submit", "denied", Some("not_accredited")).await, 1);
    server.stop().await;
}
both!(applications_go_through_the_board_and_approval_makes_the_project, applications);
