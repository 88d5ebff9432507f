//! Law 1 (nothing leaves but through the gate): every page and file reachable by any role is
//! walked, after an analyst has looked at row-level records in the workspace and saved a
//! row-level query and unreleased aggregates as outputs. No response outside the workspace's
//! own result may carry a person's pseudonym from the extract, and no response but a released
//! output's files may be a file at all.

use crate::both;
use crate::harness::{Client, Engine, Server, demo_project};
use reqwest::StatusCode;
use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// Every `person.parquet` under `dir` (the extract in the object store, and runner copies).
fn person_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            person_files(&path, out);
        } else if path.file_name().is_some_and(|n| n == "person.parquet") {
            out.push(path);
        }
    }
}

/// The extract's pseudonyms, as they would be printed.
async fn pseudonyms(data_dir: &Path) -> BTreeSet<String> {
    use datafusion::arrow::array::{Array, Int64Array};
    let mut files = Vec::new();
    person_files(data_dir, &mut files);
    let files: Vec<PathBuf> = files.into_iter().filter(|f| f.to_string_lossy().contains("extract")).collect();
    assert!(!files.is_empty(), "no extract person table under {}", data_dir.display());
    let ctx = datafusion::prelude::SessionContext::new();
    let mut out = BTreeSet::new();
    for f in files {
        let df = ctx
            .read_parquet(f.to_string_lossy().as_ref(), datafusion::prelude::ParquetReadOptions::default())
            .await
            .unwrap();
        for batch in df.select_columns(&["person_id"]).unwrap().collect().await.unwrap() {
            let ids = batch.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
            for i in 0..ids.len() {
                out.insert(ids.value(i).to_string());
            }
        }
    }
    assert!(out.iter().all(|p| p.trim_start_matches('-').len() >= 12), "pseudonyms are long numbers");
    out
}

/// What one role's walk saw.
struct Walk {
    visited: BTreeSet<String>,
    files: Vec<String>,
}

/// Follows every same-site link and GET form from `/` (no POSTs), up to a bound.
async fn walk(client: &Client, secrets: &BTreeSet<String>, who: &str) -> Walk {
    let mut queue: VecDeque<String> = VecDeque::from(["/".to_string()]);
    let mut visited = BTreeSet::new();
    let mut files = Vec::new();
    let links = scraper::Selector::parse("a[href]").unwrap();
    let forms = scraper::Selector::parse("form").unwrap();
    while let Some(path) = queue.pop_front() {
        if visited.len() >= 300 || !visited.insert(path.clone()) {
            continue;
        }
        let (status, kind, body, location) = client.raw_get(&path).await;
        if let Some(to) = location.filter(|l| l.starts_with('/')) {
            queue.push_back(to);
        }
        if let Some(secret) = secrets.iter().find(|s| body.contains(s.as_str())) {
            panic!("{who}: GET {path} ({status}) carries the pseudonym {secret}");
        }
        if !kind.starts_with("text/html") {
            if status == StatusCode::OK && kind != "text/css; charset=utf-8" && kind != "text/plain; charset=utf-8" {
                files.push(path);
            }
            continue;
        }
        let html = scraper::Html::parse_document(&body);
        let mut next: Vec<String> =
            html.select(&links).filter_map(|a| a.value().attr("href").map(String::from)).collect();
        for form in html.select(&forms) {
            let method = form.value().attr("method").unwrap_or("get").to_ascii_lowercase();
            if method == "get"
                && let Some(action) = form.value().attr("action")
            {
                next.push(action.to_string());
            }
        }
        for href in next {
            if href.starts_with('/') && !href.starts_with("//") {
                queue.push_back(href);
            }
        }
    }
    Walk { visited, files }
}

async fn nothing_leaves(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let project = demo_project(&db).await;
    let analyst = server.signed_in("analyst").await;
    let workspace = format!("/projects/{project}/workspace");
    let outputs = format!("/projects/{project}/outputs");

    // The analyst sees records inside the workspace: that result is the enclave's own view.
    let rows = analyst.submit(&workspace, &workspace, &[("sql", "SELECT person_id, sex FROM person")]).await;
    assert!(rows.body.contains("row-level"), "{}", rows.body);
    let secrets = pseudonyms(&server.installation.data_dir).await;
    assert!(secrets.iter().any(|s| rows.body.contains(s.as_str())), "the workspace shows records to its analyst");

    // A row-level query saved as an output (refused), an unreleased aggregate, and a released one.
    for (title, sql) in [
        ("Records", "SELECT person_id, sex FROM person"),
        ("Draft by sex", "SELECT sex, COUNT(DISTINCT person_id) AS n FROM person GROUP BY sex"),
        ("Released by sex", "SELECT sex, COUNT(DISTINCT person_id) AS n FROM person GROUP BY ROLLUP(sex)"),
    ] {
        let saved = analyst.submit(&outputs, &outputs, &[("title", title), ("sql", sql)]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM outputs ORDER BY id").fetch_all(db.pool()).await.unwrap();
    let released = ids[2];
    let page = format!("{outputs}/{released}");
    let asked = analyst.submit(&page, &format!("{page}/submit"), &[]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    // Each account signs in once (a one-time code is accepted once).
    let mut clients = std::collections::BTreeMap::new();
    for who in ["custodian1", "custodian2", "admin", "board1"] {
        clients.insert(who, server.signed_in(who).await);
    }
    for custodian in ["custodian1", "custodian2"] {
        let c = &clients[custodian];
        let review = format!("/custodian/outputs/{released}");
        let v = c.submit(&review, &format!("{review}/vote"), &[("vote", "approve")]).await;
        assert_eq!(v.status, StatusCode::SEE_OTHER, "{}", v.body);
    }
    // Submitted but unreleased, so custodians see it in their queue too.
    let draft = format!("{outputs}/{}", ids[1]);
    analyst.submit(&draft, &format!("{draft}/submit"), &[]).await;

    let allowed_files: BTreeSet<String> =
        ["release.csv", "manifest.json"].iter().map(|f| format!("{outputs}/{released}/{f}")).collect();
    let mut walked = 0;
    for who in ["anonymous", "analyst", "custodian1", "custodian2", "admin", "board1"] {
        let anonymous = server.client();
        let client = match who {
            "anonymous" => &anonymous,
            "analyst" => &analyst,
            _ => &clients[who],
        };
        let w = walk(client, &secrets, who).await;
        walked += w.visited.len();
        for f in &w.files {
            assert!(allowed_files.contains(f), "{who}: {f} is a file and not a released output's");
        }
        match who {
            "analyst" => {
                for id in &ids {
                    assert!(w.visited.contains(&format!("{outputs}/{id}")), "{who} walked {:?}", w.visited);
                }
                assert!(allowed_files.iter().all(|f| w.files.contains(f)), "{:?}", w.files);
            }
            "custodian1" | "custodian2" => {
                assert!(w.visited.contains(&format!("/custodian/outputs/{}", ids[1])), "{who} walked {:?}", w.visited);
            }
            _ => {}
        }
        // Unreleased outputs' files are refused to everyone.
        for id in &ids[..2] {
            let (status, _, body, _) = client.raw_get(&format!("{outputs}/{id}/release.csv")).await;
            assert_ne!(status, StatusCode::OK, "{who}: {body}");
        }
    }
    assert!(walked > 30, "the walks reached {walked} pages");
    server.stop().await;
}
both!(no_response_outside_a_release_carries_records_of_the_extract, nothing_leaves);
