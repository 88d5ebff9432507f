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

/// The workspace's own tools through the real binary: a chart of an aggregate result, the
/// analyst's query history and two of its queries compared, cancelling a running query from the page (the runner stops it and
/// serves the next query), the administrators' runner page, and the page's language.
async fn workspace_tools(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let id = demo_project(&db).await;
    let workspace = format!("/projects/{id}/workspace");
    let analyst = server.signed_in("analyst").await;

    // A chart: bars by sex, drawn on the server, no value of a refused cell in it.
    let sql = "SELECT p.sex, COUNT(DISTINCT p.person_id) AS persons FROM person p GROUP BY p.sex";
    let result = analyst.submit(&workspace, &workspace, &[("sql", sql)]).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    let svg = result.html().select(&scraper::Selector::parse("#charts svg rect").unwrap()).count();
    assert!(svg >= 2, "a bar per sex: {}", result.body);
    assert!(result.text("#charts figcaption").unwrap().contains("persons by sex"));

    // The history: the query, newest first, with a form to run it again.
    let page = analyst.get(&workspace).await;
    assert_eq!(page.text("#history tbody tr code").as_deref(), Some(sql));
    assert!(page.attrs("#history form input[name=sql]", "value").iter().any(|v| v == sql));

    // Two queries compared: the history's pickers name its entries (B the newest, A the one
    // before, by default); the page shows both and the diff of their SQL, line by line.
    let before = "SELECT p.sex,\n  COUNT(*) AS n\nFROM person p\nGROUP BY p.sex";
    let after = "SELECT p.sex,\n  COUNT(DISTINCT p.person_id) AS n\nFROM person p\nGROUP BY p.sex";
    for q in [before, after] {
        let ran = analyst.submit(&workspace, &workspace, &[("sql", q)]).await;
        assert!(ran.body.contains("<strong>aggregate</strong>"), "{}", ran.body);
    }
    let page = analyst.get(&workspace).await;
    let ids = page.attrs("#history input[type=radio][name=a][form=history-compare]", "value");
    assert_eq!(ids.len(), 3, "a picker per entry: {}", page.body);
    assert_eq!(page.attrs("#history input[name=b][checked]", "value"), vec![ids[0].clone()], "B: the newest");
    assert_eq!(page.attrs("#history input[name=a][checked]", "value"), vec![ids[1].clone()], "A: the one before");
    assert_eq!(page.attrs("form#history-compare", "method"), vec!["get".to_string()]);
    for id in &ids {
        let labelled = format!("#history label[for=compare-a-{id}], #history label[for=compare-b-{id}]");
        assert_eq!(page.html().select(&scraper::Selector::parse(&labelled).unwrap()).count(), 2, "{id}");
    }
    assert_eq!(page.attrs("#history form input[name=sql]", "value").len(), 3, "each entry can still run again");
    let compare = format!("{workspace}/compare");
    let compared = analyst.get(&format!("{compare}?a={}&b={}", ids[1], ids[0])).await;
    assert_eq!(compared.status, StatusCode::OK, "{}", compared.body);
    assert_eq!(compared.text("#compare-a pre.sql").as_deref(), Some(before));
    assert_eq!(compared.text("#compare-b pre.sql").as_deref(), Some(after));
    assert_eq!(compared.text("#compare-b .outcome").as_deref(), Some("2 rows"), "{}", compared.body);
    let lines: Vec<(String, String)> = compared
        .html()
        .select(&scraper::Selector::parse("#compare-diff li").unwrap())
        .map(|li| {
            let code = li.select(&scraper::Selector::parse("code").unwrap()).next().unwrap();
            (li.value().attr("class").unwrap_or_default().to_string(), code.text().collect::<String>())
        })
        .collect();
    let expected = [
        ("diff-same", "SELECT p.sex,"),
        ("diff-removed", "  COUNT(*) AS n"),
        ("diff-added", "  COUNT(DISTINCT p.person_id) AS n"),
        ("diff-same", "FROM person p"),
        ("diff-same", "GROUP BY p.sex"),
    ];
    assert_eq!(lines, expected.map(|(c, t)| (c.to_string(), t.to_string())).to_vec(), "{}", compared.body);
    // Each change is said in words, not by colour alone.
    assert_eq!(compared.text("#compare-diff li.diff-removed").as_deref(), Some("−removed:   COUNT(*) AS n"));
    assert_eq!(compared.text("#compare-diff li.diff-added .diff-mark").as_deref(), Some("+"));
    assert_eq!(compared.text("#compare-diff li.diff-added .visually-hidden").as_deref(), Some("added:"));
    assert!(compared.text("#compare-counts").unwrap().contains("1 line removed"), "{}", compared.body);
    // Each side runs again through the workspace's own form.
    assert_eq!(compared.attrs("#compare-a form[method=post] input[name=sql]", "value"), vec![before.to_string()]);
    assert_eq!(compared.attrs("#compare-b form[method=post] input[name=sql]", "value"), vec![after.to_string()]);
    let same = analyst.get(&format!("{compare}?a={}&b={}", ids[0], ids[0])).await;
    assert_eq!(same.status, StatusCode::OK);
    assert!(same.text("#compare-identical").is_some(), "{}", same.body);
    assert_eq!(same.html().select(&scraper::Selector::parse("li.diff-removed, li.diff-added").unwrap()).count(), 0);
    // Only the analyst's own entries of this project: another person's, another project's, an
    // unknown id or no id at all is not found, and their SQL never shown.
    let other_person: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'admin'").fetch_one(db.pool()).await.unwrap();
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    let other_project: i64 = sqlx::query_scalar(
        "INSERT INTO projects (title, status, starts_on, ends_on, created_at) VALUES ('Another project', 'approved', $1, $2, 0) RETURNING id",
    )
    .bind(crate::harness::day(-1))
    .bind(crate::harness::day(300))
    .fetch_one(db.pool())
    .await
    .unwrap();
    let mut foreign = Vec::new();
    for (person, project, secret) in
        [(other_person, id, "SELECT 'zq-other-person'"), (analyst_id, other_project, "SELECT 'zq-other-project'")]
    {
        let entry: i64 = sqlx::query_scalar(
            "INSERT INTO query_history (person_id, project_id, at, sql, status, row_count) VALUES ($1, $2, 0, $3, 'ok', 1) RETURNING id",
        )
        .bind(person)
        .bind(project)
        .bind(secret)
        .fetch_one(db.pool())
        .await
        .unwrap();
        foreign.push((entry.to_string(), secret));
    }
    for (entry, secret) in &foreign {
        for query in [format!("a={}&b={entry}", ids[0]), format!("a={entry}&b={}", ids[0])] {
            let refused = analyst.get(&format!("{compare}?{query}")).await;
            assert_eq!(refused.status, StatusCode::NOT_FOUND, "{query}: {}", refused.body);
            assert!(!refused.body.contains(secret) && !refused.body.contains("zq-other"), "{}", refused.body);
        }
    }
    assert!(!analyst.get(&workspace).await.body.contains("zq-other"), "the history is the analyst's own");
    for query in ["a=999999999&b=1", "a=x&b=1", "a=1&b=-1", "a=1.5&b=1"] {
        let query = query.replace("b=1", &format!("b={}", ids[0]));
        assert_eq!(analyst.get(&format!("{compare}?{query}")).await.status, StatusCode::NOT_FOUND, "{query}");
    }
    for query in ["", "?a=1", "?b=1", "?a=&b=1", "?a=1&c=2"] {
        let missing = analyst.get(&format!("{compare}{query}")).await;
        assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(missing.body.contains("Choose two queries of your history"), "{}", missing.body);
    }
    // Someone who may not use the workspace is refused before any id is read.
    let custodian = server.signed_in("custodian1").await;
    let stranger = custodian.get(&format!("{compare}?a={}&b={}", ids[1], ids[0])).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    assert!(!stranger.body.contains("COUNT(DISTINCT"), "{}", stranger.body);

    // A query that would run for minutes, cancelled from the page.
    // (Every one of its millions of rows builds a long string from four persons' values.)
    let slow = "SELECT COUNT(*) AS n FROM person a, person b, person c, person d WHERE \
                length(repeat(CAST(a.year_of_birth + b.year_of_birth + c.year_of_birth + d.year_of_birth AS VARCHAR), 1000)) > 0";
    let running = {
        let (analyst, workspace) = (analyst.clone(), workspace.clone());
        tokio::spawn(async move { analyst.submit(&workspace, &workspace, &[("sql", slow)]).await })
    };
    let cancel = format!("{workspace}/cancel");
    let csrf = analyst.get(&workspace).await.csrf();
    let mut accepted = false;
    for _ in 0..100 {
        let answer = analyst.post_raw(&cancel, &[("csrf_token", &csrf)]).await;
        if answer.status == StatusCode::ACCEPTED {
            accepted = true;
            break;
        }
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "nothing running yet");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let cancelled = tokio::time::timeout(std::time::Duration::from_secs(30), running)
        .await
        .expect("the cancelled query answers at once")
        .unwrap();
    assert!(accepted, "the running query was found and cancelled; it answered: {}", cancelled.body);
    assert!(cancelled.body.contains("The query was cancelled."), "{}", cancelled.body);
    assert_eq!(crate::harness::cancelled_queries(&db).await, 1, "the cancelled query is audited as such");
    // The runner dropped the query: its work stops, or, where an operator does not yield to
    // be aborted, the runner ends itself after its grace period (10 s) and is replaced.
    let out = std::process::Command::new("pgrep").args(["-P", &server.pid().to_string(), "tre-runner"]).output();
    let runner = String::from_utf8_lossy(&out.unwrap().stdout).trim().to_string();
    let cpu = || -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{runner}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
        (fields[0] != "Z").then(|| fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap())
    };
    let mut stopped = false;
    for _ in 0..20 {
        let Some(before) = cpu() else {
            stopped = true;
            break;
        };
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        match cpu() {
            Some(after) if after - before > 30 => continue,
            _ => {
                stopped = true;
                break;
            }
        }
    }
    assert!(stopped, "the cancelled query's work went on for 20 s");
    // ... and serves the next one.
    let started = std::time::Instant::now();
    let next = analyst.submit(&workspace, &workspace, &[("sql", sql)]).await;
    assert!(next.body.contains("<strong>aggregate</strong>"), "{}", next.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "not behind the cancelled query");
    // With nothing running, a cancel does nothing.
    assert_eq!(analyst.submit(&workspace, &cancel, &[]).await.status, StatusCode::NO_CONTENT);

    // The administrators' page of the runners; no one else sees it, and each look is audited.
    let admin = server.signed_in("admin").await;
    let runners = admin.get("/admin/runners").await;
    assert_eq!(runners.status, StatusCode::OK, "{}", runners.body);
    assert!(runners.text("#runners tbody").unwrap().contains("running"), "{}", runners.body);
    assert_eq!(analyst.get("/admin/runners").await.status, StatusCode::FORBIDDEN);
    let looked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'access.decision' AND details LIKE '%runners.view%'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(looked, 2, "the administrator's look and the analyst's refusal");

    // The language: the browser's Accept-Language, then the person's own choice, kept.
    let ja = analyst.get_with_language(&workspace, "ja-JP,ja;q=0.9,en;q=0.5").await;
    assert!(ja.body.contains("<html lang=\"ja\">"), "{}", ja.body);
    assert!(ja.body.contains("ワークスペース"), "{}", ja.body);
    let switched = analyst.submit(&workspace, "/language", &[("language", "ja")]).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let chosen = analyst.get(&workspace).await;
    assert!(chosen.body.contains("<html lang=\"ja\">"), "chosen, whatever the browser asks");
    let unknown = analyst.submit(&workspace, "/language", &[("language", "xx")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let kept: Option<String> = sqlx::query_scalar("SELECT language FROM people WHERE username = 'analyst'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("ja"));
    assert_eq!(audit_count(&db, "account.language", "success", None).await, 1);
    server.stop().await;
}
both!(the_workspace_draws_charts_keeps_history_and_cancels_queries, workspace_tools);
