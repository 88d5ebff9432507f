//! The catalogue through the real binary: the demo dataset, rounded counts, the custodians'
//! dictionary editing, and `tre dataset ingest` / `tre demo-data` on the command line.

use crate::both;
use crate::harness::{Engine, Server, audit_count};
use reqwest::StatusCode;

async fn catalogue_and_dictionary(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let analyst = server.signed_in("analyst").await;
    let list = analyst.get("/datasets").await;
    assert_eq!(list.status, StatusCode::OK);
    let links = list.attrs("#datasets a", "href");
    assert_eq!(links.len(), 1, "{}", list.body);
    let latest = analyst.get(&links[0]).await;
    assert_eq!(latest.status, StatusCode::SEE_OTHER);
    let page_path = latest.location.unwrap();
    let page = analyst.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    let tables: Vec<String> = page.attrs("section.panel", "id");
    assert_eq!(tables.len(), 6, "{}", page.body);
    // Counts are rounded, never exact below two significant figures, and no value is shown.
    let person_rows = page.html();
    let rows: Vec<String> = person_rows
        .select(&scraper::Selector::parse("dd.rows").unwrap())
        .map(|e| e.text().collect::<String>())
        .collect();
    assert!(rows.iter().all(|r| r.starts_with("about ") || r == "fewer than 10"), "{rows:?}");
    assert!(page.body.contains("about 300"), "300 persons shown rounded");
    assert!(!page.body.contains("Tokyo") && !page.body.contains("A10BA02"), "a data value leaked into the catalogue");
    // The analyst sees no edit forms and cannot post one.
    assert!(page.attrs("form.dictionary", "action").is_empty());
    let custodian = server.signed_in("custodian1").await;
    let page = custodian.get(&page_path).await;
    let forms = page.attrs("form.dictionary", "action");
    assert!(!forms.is_empty());
    let action = forms.iter().find(|a| a.ends_with("/columns/6")).cloned().unwrap_or_else(|| forms[0].clone());
    let p = analyst.submit(&page_path, &action, &[("description", "x"), ("class", "other")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p =
        custodian.submit(&page_path, &action, &[("description", "Claimed cost in yen"), ("class", "sensitive")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = custodian.get(&page_path).await;
    assert!(page.body.contains("Claimed cost in yen"));
    assert_eq!(audit_count(&db, "dataset.dictionary", "success", None).await, 1);
    let p = custodian.submit(&page_path, &action, &[("description", "y"), ("class", "secret")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(analyst.get("/datasets/99999/versions/1").await.status, StatusCode::NOT_FOUND);
    // The person column: analysts cannot change it; custodians can, but not once the demo
    // project's extract has been built from the dataset.
    let person_form = page.attrs("form.person-column", "action");
    assert_eq!(person_form.len(), 1, "{}", page.body);
    let p = analyst.submit(&page_path, &person_form[0], &[("column", "visit_occurrence_id")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = custodian.submit(&page_path, &person_form[0], &[("column", "visit_occurrence_id")]).await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    assert!(p.body.contains("Extracts have been built"), "{}", p.body);
    assert!(custodian.get(&page_path).await.body.contains("<option value=\"person_id\" selected>"));
    server.stop().await;
}
both!(the_catalogue_shows_rounded_counts_and_custodians_edit_the_dictionary, catalogue_and_dictionary);

async fn command_line_ingest(engine: Engine) {
    let server = Server::start(engine).await;
    let source = server.installation.data_dir.join("source");
    let out = server
        .installation
        .command()
        .args(["demo-data", "--persons", "50", "--seed", "9", "--out"])
        .arg(&source)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("drug_exposure"));
    let ingest = |custodian: &'static str, source: std::path::PathBuf| {
        let mut cmd = server.installation.command();
        cmd.args([
            "dataset",
            "ingest",
            "--name",
            "claims-2026",
            "--person-column",
            "person_id",
            "--custodian",
            custodian,
        ]);
        cmd.arg("--source").arg(source);
        cmd
    };
    let out = ingest("custodian2", source.clone()).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("dataset claims-2026 version 1 committed"), "{stdout}");
    assert!(stdout.contains("50 persons"), "{stdout}");
    // Only custodians ingest; the refusal is audited.
    let out = ingest("analyst", source.clone()).output().await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not allow"));
    let db = server.installation.db().await;
    let refused: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'access.decision' AND outcome = 'denied' AND details LIKE '%command line%'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(refused, 1);
    // A bad source is a clear error and leaves no version.
    std::fs::write(source.join("visit_occurrence.parquet"), b"not parquet").unwrap();
    let out = ingest("custodian2", source.clone()).output().await.unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("visit_occurrence.parquet: not a readable Parquet file"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    let versions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.name = 'claims-2026'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(versions, 1);
    server.stop().await;
}
both!(custodians_ingest_on_the_command_line, command_line_ingest);

async fn command_line_extract(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let project = crate::harness::demo_project(&db).await;
    // The demo seed built the demo project's first extract.
    let extracts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM extracts").fetch_one(db.pool()).await.unwrap();
    assert_eq!(extracts, 1);
    let protocol = server.installation.data_dir.join("protocol.json");
    std::fs::write(
        &protocol,
        r#"{"dataset": "demo-omop", "version": 1,
            "tables": [{"table": "person", "columns": ["sex", "year_of_birth"]},
                       {"table": "drug_exposure", "columns": ["drug_code", "cost"], "filter": "cost > 1000"}],
            "birth_year_bands": true}"#,
    )
    .unwrap();
    let run = |custodian: &str, preview: bool| {
        let mut cmd = server.installation.command();
        cmd.args(["extract", "build", "--project", &project.to_string(), "--custodian", custodian, "--protocol"]);
        cmd.arg(&protocol);
        if preview {
            cmd.arg("--preview");
        }
        cmd
    };
    let out = run("custodian1", true).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("person: rows 300 of 300, persons 300 of 300"), "{stdout}");
    assert!(stdout.contains("drops person_id") || stdout.contains("drops region"), "{stdout}");
    let out = run("custodian1", false).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("project {project} extract 2 built")), "{stdout}");
    let out = run("board1", false).output().await.unwrap();
    assert!(!out.status.success(), "a board member builds no extract");
    assert_eq!(audit_count(&db, "extract.build", "success", None).await, 2);
    server.stop().await;
}
both!(custodians_build_extracts_on_the_command_line, command_line_extract);

async fn extract_page(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let project = crate::harness::demo_project(&db).await;
    let page_path = format!("/custodian/projects/{project}/extract");
    let custodian = server.signed_in("custodian2").await;
    let page = custodian.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.text("#current").unwrap().contains("Version 1"));
    // The current protocol is offered for editing.
    let protocol_text = page.text("#protocol-text").unwrap();
    assert!(protocol_text.contains("E11.9"), "{protocol_text}");
    // A preview shows the difference from the dataset and builds nothing.
    let narrower = protocol_text.replace("\"sex\",", "");
    let preview = custodian.submit(&page_path, &format!("{page_path}/preview"), &[("protocol", &narrower)]).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let table = preview.text("#preview").unwrap();
    assert!(table.contains("of 300"), "{table}");
    assert!(table.contains("sex"), "sex is listed as dropped: {table}");
    let extracts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM extracts").fetch_one(db.pool()).await.unwrap();
    assert_eq!(extracts, 1);
    // Confirming builds version 2.
    let build_fields = preview.attrs("#build-form input[name=protocol]", "value");
    let built = custodian.submit(&page_path, &page_path, &[("protocol", &build_fields[0])]).await;
    assert_eq!(built.status, StatusCode::SEE_OTHER, "{}", built.body);
    assert!(custodian.get(&page_path).await.text("#current").unwrap().contains("Version 2"));
    // A bad protocol is explained; an analyst cannot reach the page.
    let bad = custodian.submit(&page_path, &format!("{page_path}/preview"), &[("protocol", "{\"dataset\": 1}")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text("#error").unwrap().contains("not valid JSON for a protocol"));
    bad.assert_no_internals();
    let analyst = server.signed_in("analyst").await;
    assert_eq!(analyst.get(&page_path).await.status, StatusCode::FORBIDDEN);
    server.stop().await;
}
both!(custodians_preview_and_build_extracts_in_the_portal, extract_page);

async fn upload_page(engine: Engine) {
    let server = Server::start(engine).await;
    let db = server.installation.db().await;
    let custodian = server.signed_in("custodian1").await;
    let page = custodian.get("/datasets/upload").await;
    assert_eq!(page.status, StatusCode::OK);
    let action = page.attrs("form#upload", "action").remove(0);
    assert!(action.contains("csrf_token="));
    let person = b"person_id,sex,year_of_birth\n1,F,1950\n2,M,1961\n3,F,1977\n".as_slice();
    let visits = b"person_id,visit_date\n1,2024-01-02\n1,2024-02-03\n3,2024-03-04\n".as_slice();
    let fields = [("name", "uploaded"), ("description", "Uploaded in the portal"), ("person_column", "person_id")];
    let done = custodian.post_multipart(&action, &fields, &[("person.csv", person), ("visit.csv", visits)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.text("#done").unwrap().contains("uploaded version 1: 2 tables"));
    let versions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.name = 'uploaded'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(versions, 1);
    // A bad file is named with its line; nothing is kept.
    let bad = b"person_id,sex\n1,F\n2,M,extra\n".as_slice();
    let refused = custodian.post_multipart(&action, &fields, &[("person.csv", bad)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("#error").unwrap().contains("person.csv, line 3"), "{}", refused.body);
    let refused = custodian.post_multipart(&action, &fields, &[("../../etc/passwd", b"x")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The upload needs the CSRF token and a custodian.
    let forged = custodian.post_multipart("/datasets/upload", &fields, &[("person.csv", person)]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let analyst = server.signed_in("analyst").await;
    assert_eq!(analyst.get("/datasets/upload").await.status, StatusCode::FORBIDDEN);
    let uploads = server.installation.data_dir.join("uploads");
    assert!(std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0) == 0, "uploaded files are removed");
    server.stop().await;
}
both!(custodians_upload_datasets_in_the_portal, upload_page);
