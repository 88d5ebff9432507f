"""DuckDB's side of `tre-bench runner`: the same queries on the same Parquet, plain and with
the evidence written in its best hand-written form (per person and cell, then per cell with
the two largest contributions); and that evidence with each cell's person set as well (a list
of the cell's persons), which the runner's evidence also holds (as a bitmap). Prints one JSON
object of best-of-N seconds.

Usage: bench_duckdb.py DATA_DIR CODE_A CODE_B RUNS
"""
import json
import sys
import time

import duckdb

data, code_a, code_b, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
con = duckdb.connect()
con.execute(f"CREATE VIEW drug_exposure AS SELECT * FROM read_parquet('{data}/drug_exposure.parquet')")
con.execute(f"CREATE VIEW person AS SELECT * FROM read_parquet('{data}/person.parquet')")

cells = "drug_code, date_trunc('month', drug_exposure_start_date) AS month"
plain = {
    "count": f"SELECT {cells}, COUNT(*) AS n FROM drug_exposure GROUP BY ALL",
    "sum": f"SELECT {cells}, SUM(cost) AS total FROM drug_exposure GROUP BY ALL",
    "avg": f"SELECT {cells}, AVG(cost) AS mean FROM drug_exposure GROUP BY ALL",
}
evidence = {
    name: f"""
    WITH per AS (
        SELECT {cells}, person_id, {value} AS c, COUNT({arg}) AS v, COUNT(*) AS r,
               SUM(CASE WHEN {arg} < 0 THEN 1 ELSE 0 END) AS neg
        FROM drug_exposure GROUP BY ALL
    )
    SELECT drug_code, month, {publish}, COUNT(*) AS persons, SUM(CASE WHEN v > 0 THEN 1 ELSE 0 END) AS with_value,
           SUM(r) AS rows, SUM(v) AS vals, SUM(neg) AS negative, SUM(c) AS total, max(abs(c), 2) AS top2
    FROM per GROUP BY ALL
    """
    for name, value, arg, publish in [
        ("count", "COUNT(*)", "1", "SUM(r) AS n"),
        ("sum", "SUM(cost)", "cost", "SUM(c) AS total"),
        ("avg", "SUM(cost)", "cost", "SUM(c) / SUM(v) AS mean"),
    ]
}
cohort_from = f"""
    FROM drug_exposure a
    JOIN drug_exposure b ON a.person_id = b.person_id
      AND b.drug_exposure_start_date > a.drug_exposure_start_date
      AND b.drug_exposure_start_date <= a.drug_exposure_start_date + INTERVAL 90 DAY
    JOIN person p ON p.person_id = a.person_id
    WHERE a.drug_code = '{code_a}' AND b.drug_code = '{code_b}'
"""
band = "p.sex, (2024 - p.year_of_birth) // 10 * 10 AS age_band"
plain["cohort"] = f"SELECT {band}, COUNT(DISTINCT a.person_id) AS persons {cohort_from} GROUP BY ALL"
evidence["cohort"] = f"""
    WITH per AS (SELECT {band}, a.person_id, COUNT(*) AS r {cohort_from} GROUP BY ALL)
    SELECT sex, age_band, COUNT(*) AS persons, SUM(r) AS rows, max(r, 2) AS top2 FROM per GROUP BY ALL
"""


def best(sql):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - start)
    return min(times)


def with_set(sql):
    """The evidence query with each cell's person set, as a list of its persons."""
    head, tail = sql.rsplit(" FROM per GROUP BY ALL", 1)
    return f"{head}, list(person_id) AS person_set FROM per GROUP BY ALL{tail}"


out = {}
for name in plain:
    out[name] = {
        "plain": best(plain[name]),
        "evidence": best(evidence[name]),
        "evidence_set": best(with_set(evidence[name])),
    }
print(json.dumps(out))
