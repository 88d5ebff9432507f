//! `tre gate check`: a query through a sandboxed runner, every cell judged by the disclosure
//! rules, on synthetic data.

use crate::harness::{tre_command as tre, tre_over_demo};
use serde_json::Value;
use std::path::Path;

async fn check(data: &Path, sql: &str, extra: &[&str]) -> (i32, Value, String) {
    let (code, stdout, stderr) = tre_over_demo(&["gate", "check"], data, sql, extra).await;
    let v = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (code, v, format!("{stdout}{stderr}"))
}

fn rules(cell: &Value) -> Vec<String> {
    cell["rules"].as_array().unwrap().iter().map(|r| r["rule"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn tre_gate_check_judges_every_cell_by_the_persons_behind_it() {
    let data = std::env::temp_dir().join(format!("tre-gate-e2e-{}", rand::random::<u64>()));
    let out = tre().args(["demo-data", "--persons", "200", "--seed", "5", "--out"]).arg(&data).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Persons by sex, with a ROLLUP total: about a hundred persons a cell, so it passes.
    let by_sex = "SELECT p.sex, COUNT(DISTINCT d.person_id) AS persons FROM drug_exposure d \
                  JOIN person p ON d.person_id = p.person_id GROUP BY ROLLUP(p.sex)";
    let (code, v, all) = check(&data, by_sex, &[]).await;
    assert_eq!((code, v["status"].as_str()), (0, Some("pass")), "{all}");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 3, "{all}");
    for c in cells {
        assert_eq!((c["column"].as_str(), c["statistic"].as_str()), (Some("persons"), Some("count")));
        assert_eq!(c["persons"], c["value"], "{c}");
        assert_eq!(c["suppressed"], false);
        assert!(rules(c).is_empty(), "{c}");
    }
    // The total's group is null; the others name their sex.
    assert!(cells.iter().any(|c| c["group"]["sex"].is_null()), "{all}");
    assert!(cells.iter().any(|c| c["group"]["sex"] == "F"), "{all}");

    // The same under a threshold of 1,000 fails every cell, with the reason in persons.
    let params = data.join("params.json");
    std::fs::write(&params, r#"{"threshold": 1000, "nk_k": 0.85}"#).unwrap();
    let (code, v, all) = check(&data, by_sex, &["--params", params.to_str().unwrap()]).await;
    assert_eq!((code, v["status"].as_str()), (2, Some("fail")), "{all}");
    let detail = v["cells"][0]["rules"][0]["detail"].as_str().unwrap();
    assert!(detail.ends_with("persons, fewer than 1000"), "{detail}");
    assert!(v["reasons"][0].as_str().unwrap().contains("fail on threshold"), "{all}");

    // Rows counted per drug: rare drugs have fewer than 10 persons, whatever their rows.
    let (code, v, all) =
        check(&data, "SELECT drug_code, COUNT(*) AS n, SUM(cost) AS cost FROM drug_exposure GROUP BY drug_code", &[])
            .await;
    assert_eq!((code, v["status"].as_str()), (2, Some("fail")), "{all}");
    let cells = v["cells"].as_array().unwrap();
    let small = cells.iter().find(|c| c["persons"].as_u64().unwrap() < 10).expect("a drug with few persons");
    assert!(rules(small).contains(&"threshold".to_string()), "{small}");
    assert!(cells.iter().any(|c| c["statistic"] == "sum") && cells.iter().any(|c| c["statistic"] == "count"));

    // Suppressed: every failing drug is blanked, and the total stays published without giving
    // a blanked drug back (one blank alone would be the total minus the rest).
    let by_drug = "SELECT drug_code, COUNT(DISTINCT person_id) AS n FROM drug_exposure GROUP BY ROLLUP(drug_code)";
    let (code, v, all) = check(&data, by_drug, &["--suppress"]).await;
    assert_eq!((code, v["status"].as_str()), (0, Some("pass")), "{all}");
    let cells = v["cells"].as_array().unwrap();
    let kind = |k: &str| cells.iter().filter(|c| c["suppression"] == k).count();
    assert!(kind("primary") >= 1, "{all}");
    assert!(kind("primary") + kind("secondary") >= 2, "{all}");
    for c in cells {
        let fails = c["rules"].as_array().unwrap().iter().any(|r| r["severity"] == "fail");
        assert_eq!(c["suppressed"], fails || c["suppression"] == "secondary", "{c}");
        assert_eq!(c["value"].is_null(), c["suppressed"] == true, "{c}");
    }
    assert!(cells.iter().any(|c| c["group"]["drug_code"].is_null() && c["suppressed"] == false), "{all}");

    // Counts rounded to base 5 when the parameters ask, with the value before rounding.
    std::fs::write(&params, r#"{"round_base": 5}"#).unwrap();
    let (_, v, all) = check(&data, by_sex, &["--params", params.to_str().unwrap()]).await;
    for c in v["cells"].as_array().unwrap() {
        let (value, unrounded) = (c["value"].as_u64().unwrap(), c["unrounded"].as_u64().unwrap());
        assert!(value % 5 == 0 && value.abs_diff(unrounded) <= 2, "{all}");
    }

    // A mean and a maximum of the same values share their evidence but not their rules: the
    // maximum is one person's value.
    let (code, v, all) = check(
        &data,
        "SELECT p.sex, AVG(d.cost) AS mean, MAX(d.cost) AS top FROM drug_exposure d \
         JOIN person p ON d.person_id = p.person_id GROUP BY p.sex",
        &[],
    )
    .await;
    assert_eq!((code, v["status"].as_str()), (2, Some("fail")), "{all}");
    for c in v["cells"].as_array().unwrap() {
        match c["column"].as_str().unwrap() {
            "mean" => assert!(rules(c).is_empty() && c["statistic"] == "mean", "{c}"),
            _ => assert_eq!((rules(c), c["statistic"].as_str()), (vec!["extreme".to_string()], Some("max")), "{c}"),
        }
    }

    // A median has persons enough on each side of it; the 99.9th percentile of a sex's costs
    // is a few persons' values, and fails on `extreme`, naming the persons on each side.
    let (code, v, all) = check(
        &data,
        "SELECT p.sex, MEDIAN(d.cost) AS mid, percentile_cont(0.999) WITHIN GROUP (ORDER BY d.cost) AS tail \
         FROM drug_exposure d JOIN person p ON d.person_id = p.person_id GROUP BY p.sex",
        &[],
    )
    .await;
    assert_eq!((code, v["status"].as_str()), (2, Some("fail")), "{all}");
    for c in v["cells"].as_array().unwrap() {
        let (below, above) = (
            c["evidence"]["persons_at_or_below"].as_u64().unwrap(),
            c["evidence"]["persons_at_or_above"].as_u64().unwrap(),
        );
        match c["column"].as_str().unwrap() {
            "mid" => {
                assert_eq!((rules(c), c["statistic"].as_str()), (vec![], Some("median")), "{c}");
                assert_eq!((below, above), (10, 10), "both sides counted up to 10: {c}");
            }
            _ => {
                assert_eq!(
                    (rules(c), c["statistic"].as_str()),
                    (vec!["extreme".to_string()], Some("percentile")),
                    "{c}"
                );
                assert!(above < 5 && below == 10, "{c}");
                assert!(c["rules"][0]["detail"].as_str().unwrap().contains("at or above"), "{c}");
            }
        }
    }

    // A ranking of the cells is judged with the counts it orders by, and is no group.
    let ranked = "SELECT drug_code, COUNT(*) AS n, RANK() OVER (ORDER BY COUNT(*) DESC) AS r \
                  FROM drug_exposure GROUP BY drug_code";
    let (_, v, all) = check(&data, ranked, &[]).await;
    let cells = v["cells"].as_array().unwrap();
    assert!(cells.iter().all(|c| c["group"].as_object().unwrap().keys().eq(["drug_code"].iter())), "{all}");
    for c in cells.iter().filter(|c| c["column"] == "r") {
        let n = cells.iter().find(|o| o["column"] == "n" && o["group"] == c["group"]).unwrap();
        assert_eq!((rules(c), &c["persons"]), (rules(n), &n["persons"]), "{c} {n}");
    }

    // Rows of records and statements that are not queries are refused, with their reason.
    let (code, v, all) = check(&data, "SELECT person_id, year_of_birth FROM person", &[]).await;
    assert_eq!((code, v["status"].as_str()), (2, Some("refused")), "{all}");
    assert!(v["reasons"][0].as_str().unwrap().starts_with("row-level"), "{all}");
    let (code, v, all) = check(&data, "DROP TABLE person", &[]).await;
    assert_eq!((code, v["status"].as_str()), (2, Some("refused")), "{all}");
    // A person's value put beside the cells by a scalar subquery, and a group shown without
    // an aggregate of it, have no persons the rules could judge: refused, with their reason.
    for sql in [
        "SELECT sex, COUNT(*) AS n, (SELECT year_of_birth FROM person WHERE person_id = 7) AS y \
         FROM person GROUP BY sex",
        "SELECT region FROM person WHERE person_id = 7 GROUP BY region",
    ] {
        let (code, v, all) = check(&data, sql, &[]).await;
        assert_eq!((code, v["status"].as_str()), (2, Some("refused")), "{all}");
        assert!(v["reasons"][0].as_str().unwrap().starts_with("unknown-lineage"), "{all}");
    }
    // An aggregate that only chooses the rows is judged on each shown row: a maximum fails
    // `extreme` and refuses the result; a count of a hundred persons a row does not.
    let having = "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex HAVING MAX(year_of_birth) > 1900";
    let (code, v, all) = check(&data, having, &[]).await;
    assert_eq!((code, v["status"].as_str()), (2, Some("refused")), "{all}");
    assert!(v["reasons"][0].as_str().unwrap().starts_with("extreme: max chooses or orders the rows"), "{all}");
    // GROUPING() stays refused: its 0/1 columns, read as group labels, hide which rows are a
    // cube's margins, and suppression then blanks a failing cell and leaves its row's other
    // cell and the margin that give it back.
    let grouping = "SELECT sex, region, GROUPING(sex) AS gs, COUNT(*) AS n FROM person GROUP BY CUBE(sex, region)";
    let (code, v, all) = check(&data, grouping, &["--suppress"]).await;
    assert_eq!((code, v["status"].as_str()), (2, Some("refused")), "{all}");
    let having = "SELECT sex, AVG(year_of_birth) AS born FROM person GROUP BY sex HAVING COUNT(*) >= 10";
    let (code, v, all) = check(&data, having, &[]).await;
    assert_eq!((code, v["status"].as_str()), (0, Some("pass")), "{all}");

    // The ledger: a released output, then a re-run without three persons differs from it by
    // fewer than ten persons in every cell, and fails; the same output again does not.
    let ledger = data.join("ledger");
    let ledger_args = ["--ledger", ledger.to_str().unwrap()];
    let (code, v, all) = check(&data, by_sex, &[&ledger_args[..], &["--record"]].concat()).await;
    assert_eq!((code, v["status"].as_str()), (0, Some("pass")), "{all}");
    assert!(all.contains("recorded as release 1"), "{all}");
    let fewer = "SELECT p.sex, COUNT(DISTINCT d.person_id) AS persons FROM drug_exposure d \
                 JOIN person p ON d.person_id = p.person_id \
                 WHERE d.person_id NOT IN (SELECT person_id FROM person WHERE person_id <= 3) GROUP BY ROLLUP(p.sex)";
    let (code, v, all) = check(&data, fewer, &[&ledger_args[..], &["--record"]].concat()).await;
    assert_eq!((code, v["status"].as_str()), (2, Some("fail")), "{all}");
    assert!(all.contains("not recorded"), "{all}");
    let total = v["cells"].as_array().unwrap().iter().find(|c| c["group"]["sex"].is_null()).unwrap();
    // Against the released total (three persons gone), and against each released sex (the
    // persons gone from it are as few).
    assert!(rules(total).iter().all(|r| r == "differencing") && rules(total).len() == 3, "{total}");
    let details: Vec<&str> = total["rules"].as_array().unwrap().iter().map(|r| r["detail"].as_str().unwrap()).collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("\"persons sex=(total)\" of release 1: 0 persons only here and 3 only there")),
        "{details:?}"
    );
    let (code, v, all) = check(&data, by_sex, &ledger_args).await;
    assert_eq!((code, v["status"].as_str()), (0, Some("pass")), "{all}");
    // A corrupt ledger stops the check.
    std::fs::write(ledger.join("ledger.json"), "{\"version\": 1, \"regis").unwrap();
    let (code, _, all) = check(&data, by_sex, &ledger_args).await;
    assert_eq!(code, 1, "{all}");
    assert!(all.contains("corrupt"), "{all}");

    // CSV files are read too (written as Parquet, sorted by the person, for the runner):
    // 25 persons in no order, three visits each.
    let csv = data.join("visits.csv");
    let mut text = String::from("person_id,kind,days\n");
    for i in 0..75u64 {
        let p = (i * 7) % 25 + 1;
        text.push_str(&format!("{p},{},{}\n", if p % 2 == 0 { "in" } else { "out" }, i % 4));
    }
    std::fs::write(&csv, text).unwrap();
    let out = tre()
        .args(["gate", "check", "--table"])
        .arg(format!("visit={}", csv.display()))
        .args(["--sql", "SELECT kind, COUNT(*) AS n, SUM(days) AS d FROM visit GROUP BY kind ORDER BY kind"])
        .output()
        .await
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let persons: Vec<u64> = v["cells"].as_array().unwrap().iter().map(|c| c["persons"].as_u64().unwrap()).collect();
    assert_eq!(persons, vec![12, 12, 13, 13], "{all}");
    assert_eq!(v["status"], "pass", "{all}");

    // A params file with an unknown key, or k above 1, is refused before anything runs.
    for bad in [r#"{"treshold": 5}"#, r#"{"nk_k": 1.5}"#, r#"{"threshold": -1}"#] {
        std::fs::write(&params, bad).unwrap();
        let (code, _, all) = check(&data, by_sex, &["--params", params.to_str().unwrap()]).await;
        assert_eq!(code, 1, "{bad}: {all}");
        assert!(all.contains("params file is not valid"), "{bad}: {all}");
    }
    std::fs::remove_dir_all(&data).unwrap();
}
