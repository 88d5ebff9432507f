//! `tre query`: one query through a sandboxed runner process, on synthetic data, printed as
//! one JSON object with the evidence of every cell.

use crate::harness::{tre_command as tre, tre_over_demo};
use serde_json::Value;
use std::path::Path;

async fn query(data: &Path, sql: &str, extra: &[&str]) -> (i32, String) {
    let (code, stdout, _) = tre_over_demo(&["query"], data, sql, extra).await;
    (code, stdout)
}

#[tokio::test]
async fn tre_query_runs_one_query_in_a_runner_and_prints_its_evidence() {
    let data = std::env::temp_dir().join(format!("tre-query-e2e-{}", rand::random::<u64>()));
    let out = tre().args(["demo-data", "--persons", "200", "--seed", "5", "--out"]).arg(&data).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (code, stdout) = query(
        &data,
        "SELECT p.sex, COUNT(*) AS prescriptions, SUM(d.cost) AS cost FROM drug_exposure d \
         JOIN person p ON d.person_id = p.person_id GROUP BY p.sex ORDER BY p.sex",
        &[],
    )
    .await;
    assert_eq!(code, 0, "{stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["lineage"], "aggregate");
    assert_eq!(v["columns"][1]["name"], "prescriptions");
    let rows = v["rows"].as_array().unwrap();
    let evidence = v["evidence"].as_array().unwrap();
    assert_eq!(rows.len(), evidence.len());
    assert_eq!(v["measures"][0]["columns"][0], "prescriptions");
    // The persons behind each cell, checked against a query that counts them.
    let (_, distinct) = query(
        &data,
        "SELECT p.sex, COUNT(DISTINCT d.person_id) AS persons FROM drug_exposure d \
         JOIN person p ON d.person_id = p.person_id GROUP BY p.sex ORDER BY p.sex",
        &[],
    )
    .await;
    let distinct: Value = serde_json::from_str(&distinct).unwrap();
    for (i, row) in rows.iter().enumerate() {
        let persons = evidence[i][0]["persons"].as_u64().unwrap();
        assert_eq!(persons, distinct["rows"][i][1].as_u64().unwrap(), "row {i}");
        assert_eq!(row[1].as_u64().unwrap(), evidence[i][0]["rows"].as_u64().unwrap());
        let top: Vec<f64> = evidence[i][1]["top"].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).collect();
        assert!(!top.is_empty() && top.len() <= 10 && top.windows(2).all(|w| w[0] >= w[1]), "{top:?}");
        assert!(!evidence[i][0]["persons_bitmap"].as_str().unwrap().is_empty());
    }

    // Refused, and failing, queries: status, message, exit code; no path in the message.
    let (code, stdout) = query(&data, "DROP TABLE person", &[]).await;
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "refused");
    assert!(v["message"].as_str().unwrap().contains("DROP TABLE"));
    let (code, stdout) = query(&data, "SELECT no_such_column FROM person", &[]).await;
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "error");
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("no_such_column") && !message.contains(&data.to_string_lossy().to_string()), "{message}");
    // Row-level results are said to be so, and the text format reads as a table.
    let (code, stdout) = query(&data, "SELECT person_id FROM person LIMIT 3", &["--format", "text"]).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("person_id"), "{stdout}");
    assert!(stdout.contains("lineage: row-level"), "{stdout}");
    // A reader that has gone (`tre query ... | head`) ends the output quietly: no panic.
    let mut cut = tre()
        .arg("query")
        .arg("--table")
        .arg(format!("person={}", data.join("person.parquet").display()))
        .args(["--sql", "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(cut.stdout.take());
    let out = cut.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Arguments that cannot mean anything are refused before a runner starts, and a setup
    // failure is said once: a table named twice, limits of nothing, a pool too small to hold
    // the person index, a person column no table has.
    let person = format!("person={}", data.join("person.parquet").display());
    let run = |args: Vec<String>| async move {
        let out = tre().arg("query").args(&args).output().await.unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), all)
    };
    let args = |extra: &[&str]| {
        let mut a =
            vec!["--table".to_string(), person.clone(), "--sql".into(), "SELECT COUNT(*) AS n FROM person".into()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let (code, all) = run(args(&["--table", &person])).await;
    assert!(code != Some(0) && all.contains("--table person is given twice"), "{all}");
    for bad in [["--time-limit", "0"], ["--memory-limit", "1000"]] {
        let (code, all) = run(args(&bad)).await;
        assert!(code == Some(2) && all.contains(bad[0]) && all.contains("not in"), "{all}");
    }
    let (code, all) = run(args(&["--person-id", "region"])).await;
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("the person column region of table person holds Utf8"), "{all}");
    assert_eq!(all.matches("could not start").count(), 1, "{all}");
    let (code, all) = run(args(&["--person-id", "pid"])).await;
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("no table has a column pid") && all.contains("unknown-lineage"), "{all}");
    std::fs::remove_dir_all(&data).unwrap();
}
