//! Law 3 at the door: only one read-only query runs. Everything else is refused before it
//! reaches the planner, with words that say what was refused.
//!
//! DataFusion's own `SQLOptions` blocks DDL, DML and statements, but not `EXPLAIN` (which
//! prints storage paths, and with `VERBOSE` Parquet statistics, which are row values; with
//! `ANALYZE` it executes), nor unbounded recursive CTEs. So the statement is parsed here and
//! must be a plain query; `SQLOptions` checks the plan again behind it.

use crate::EngineError;
use crate::evidence::RESERVED_PREFIX;
use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{Expr, Query, SetExpr, Statement, Visit, Visitor};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use std::ops::ControlFlow;

/// The longest SQL text accepted. Long flat expression chains and wide UNIONs take
/// super-linear planning time; no analysis needs more than this.
pub const MAX_SQL_BYTES: usize = 64 * 1024;

/// How deep the parser may nest (expressions, subqueries).
const RECURSION_LIMIT: usize = 64;

/// How deep an expression may be. The parser reads a chain of operators (`a OR b OR ...`)
/// without nesting, into a tree as deep as the chain is long, which the planner then walks
/// recursively: a chain of 20,000 `+` (40 KiB of SQL) overflowed the runner's 16 MiB stack
/// and ended the runner. A chain of 8,000 planned; analyses write lists of a few hundred.
const MAX_EXPR_DEPTH: usize = 2_000;

/// Parses `sql` and returns its only statement if it is a read-only query.
pub fn check(sql: &str) -> Result<Box<Query>, EngineError> {
    if sql.len() > MAX_SQL_BYTES {
        return Err(EngineError::Refused(format!(
            "the query is {} KiB long; at most {} KiB is accepted",
            sql.len().div_ceil(1024),
            MAX_SQL_BYTES / 1024
        )));
    }
    let mut parser = DFParserBuilder::new(sql)
        .with_dialect(&GenericDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .build()
        .map_err(|e| EngineError::Syntax(crate::errors::parser_message(&e)))?;
    let mut statements =
        parser.parse_statements().map_err(|e| EngineError::Syntax(crate::errors::parser_message(&e)))?;
    if statements.len() > 1 {
        return Err(EngineError::Refused("run one statement at a time".into()));
    }
    let Some(statement) = statements.pop_front() else {
        return Err(EngineError::Refused("there is no query to run".into()));
    };
    let query = match statement {
        DfStatement::Statement(s) => match *s {
            Statement::Query(q) => q,
            other => {
                return Err(EngineError::Refused(format!(
                    "{} statements cannot run here; only a query (SELECT) can",
                    kind(&other)
                )));
            }
        },
        DfStatement::CreateExternalTable(_) => return Err(refused("CREATE EXTERNAL TABLE")),
        DfStatement::CopyTo(_) => return Err(refused("COPY")),
        DfStatement::Explain(_) => return Err(refused("EXPLAIN")),
        DfStatement::Reset(_) => return Err(refused("RESET")),
    };
    check_query(&query)?;
    check_names(sql)?;
    Ok(query)
}

/// Refuses a name (a column, an alias, a table) that begins as the evidence's own columns do.
/// Read from the words of the SQL, so that every place a name can stand is covered; quoted
/// names too, in any case; text in quotes ('...') is a value, not a name.
fn check_names(sql: &str) -> Result<(), EngineError> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .map_err(|e| EngineError::Syntax(format!("syntax error: {}", e.message)))?;
    for token in tokens {
        if let Token::Word(w) = token
            && w.value.to_ascii_lowercase().starts_with(RESERVED_PREFIX)
        {
            return Err(EngineError::Refused(format!(
                "the name {} begins with {RESERVED_PREFIX}, which the platform keeps for the evidence's own columns; \
                 choose another",
                w.value
            )));
        }
    }
    Ok(())
}

fn refused(what: &str) -> EngineError {
    EngineError::Refused(format!("{what} statements cannot run here; only a query (SELECT) can"))
}

/// The statement's first keyword(s), for the message.
fn kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    let first = words.first().copied().unwrap_or("This").to_uppercase();
    match first.as_str() {
        "CREATE" | "DROP" | "ALTER" | "SHOW" | "SET" => {
            format!("{first} {}", words.get(1).copied().unwrap_or("").to_uppercase()).trim().to_string()
        }
        _ => first,
    }
}

/// How many set operations (UNION, INTERSECT, EXCEPT) one query may chain. The parser reads
/// them without nesting, into a tree as deep as the chain is long: 3,400 `UNION ALL`s (64 KiB)
/// overflowed the runner's stack, 2,400 took 3.8 s to plan and 1,000 took 0.75 s.
const MAX_SET_OPERATIONS: usize = 1_000;

/// What a query may not contain: a recursive CTE (unbounded) at any depth (in a CTE, a
/// derived table or a subquery in an expression), `SELECT ... INTO` (creates a table), an
/// expression deeper than [`MAX_EXPR_DEPTH`], more than [`MAX_SET_OPERATIONS`] set
/// operations in one query.
fn check_query(query: &Query) -> Result<(), EngineError> {
    if let ControlFlow::Break(refusal) = query.visit(&mut Door { depth: 0 }) {
        return Err(refusal);
    }
    check_set_expr(&query.body)
}

/// Walks a query for what [`check_query`] refuses; it stops at the first, so that it never
/// goes deeper than [`MAX_EXPR_DEPTH`] into an expression itself.
struct Door {
    /// Expressions entered and not yet left.
    depth: usize,
}

impl Visitor for Door {
    type Break = EngineError;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<EngineError> {
        if query.with.as_ref().is_some_and(|with| with.recursive) {
            return ControlFlow::Break(EngineError::Refused(
                "recursive queries (WITH RECURSIVE) cannot run here".into(),
            ));
        }
        // Counted without recursion, before the walk goes into the chain.
        let (mut operations, mut sides) = (0, vec![&*query.body]);
        while let Some(side) = sides.pop() {
            if let SetExpr::SetOperation { left, right, .. } = side {
                operations += 1;
                sides.extend([&**left, &**right]);
            }
        }
        if operations > MAX_SET_OPERATIONS {
            return ControlFlow::Break(EngineError::Refused(format!(
                "a query chains {operations} set operations (UNION, INTERSECT, EXCEPT); at most \
                 {MAX_SET_OPERATIONS} are accepted"
            )));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<EngineError> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return ControlFlow::Break(EngineError::Refused(format!(
                "an expression is nested more than {MAX_EXPR_DEPTH} deep (a chain of that many operators); \
                 split it, or use IN (...) for a list of values"
            )));
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<EngineError> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

fn check_set_expr(body: &SetExpr) -> Result<(), EngineError> {
    match body {
        SetExpr::Select(select) => {
            if select.into.is_some() {
                return Err(EngineError::Refused("SELECT ... INTO creates a table; it cannot run here".into()));
            }
            Ok(())
        }
        SetExpr::Query(q) => check_query(q),
        SetExpr::SetOperation { left, right, .. } => {
            check_set_expr(left)?;
            check_set_expr(right)
        }
        SetExpr::Values(_) | SetExpr::Table(_) => Ok(()),
        _ => Err(EngineError::Refused("only a query (SELECT) can run here".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement here must be refused: the corpus of law 3 at the door.
    const REFUSED: &[&str] = &[
        "CREATE TABLE t (a INT)",
        "CREATE TABLE t AS SELECT 1",
        "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '/etc/passwd'",
        "CREATE VIEW v AS SELECT 1",
        "CREATE OR REPLACE VIEW v AS SELECT 1",
        "CREATE SCHEMA s",
        "CREATE FUNCTION f() RETURNS INT RETURN 1",
        "DROP TABLE drug_exposure",
        "DROP VIEW v",
        "ALTER TABLE t ADD COLUMN c INT",
        "INSERT INTO drug_exposure VALUES (1)",
        "UPDATE drug_exposure SET cost = 0",
        "DELETE FROM drug_exposure",
        "TRUNCATE drug_exposure",
        "COPY drug_exposure TO '/tmp/out.csv'",
        "COPY (SELECT 1) TO '/tmp/out.parquet' STORED AS PARQUET",
        "EXPLAIN SELECT 1",
        "EXPLAIN VERBOSE SELECT * FROM drug_exposure",
        "EXPLAIN ANALYZE SELECT * FROM drug_exposure",
        "SET datafusion.execution.target_partitions = 1",
        "SET datafusion.runtime.memory_limit = '100G'",
        "RESET datafusion.runtime.memory_limit",
        "PREPARE p AS SELECT 1",
        "EXECUTE p",
        "DEALLOCATE p",
        "SHOW TABLES",
        "SHOW ALL",
        "DESCRIBE drug_exposure",
        "BEGIN",
        "COMMIT",
        "SELECT 1; SELECT 2",
        "SELECT 1; DROP TABLE t",
        "SELECT * INTO copy FROM drug_exposure",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
        "SELECT COUNT(*) FROM (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r) t",
        "SELECT (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT MAX(n) FROM r) AS m",
        "SELECT 1 WHERE 1 IN (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r)",
        "WITH a AS (SELECT 1 AS x) SELECT * FROM a UNION ALL \
         (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r)",
        "",
        "   ",
        "-- only a comment",
        // Names the evidence's columns have: as an alias, a derived column, a quoted name.
        "SELECT sex, COUNT(*) AS __tre_evidence_0 FROM person GROUP BY sex",
        "SELECT COUNT(*) FROM (SELECT drug_exposure_id AS __tre_person FROM drug_exposure) t",
        "SELECT COUNT(*) FROM (SELECT 1 AS x) \"__TRE_Person\"",
        "WITH __tre_sides_0 AS (SELECT 1 AS x) SELECT * FROM __tre_sides_0",
    ];

    #[test]
    fn anything_but_one_read_only_query_is_refused() {
        for sql in REFUSED {
            match check(sql) {
                Err(EngineError::Refused(m)) | Err(EngineError::Syntax(m)) => assert!(!m.is_empty(), "{sql}"),
                other => panic!("{sql:?} was not refused: {other:?}"),
            }
        }
    }

    #[test]
    fn queries_pass() {
        for sql in [
            "SELECT 1",
            "SELECT sex, COUNT(*) FROM person GROUP BY sex",
            "WITH a AS (SELECT person_id FROM person) SELECT COUNT(*) FROM a",
            "SELECT 1 UNION ALL SELECT 2",
            "VALUES (1), (2)",
            // In quotes it is a value, not a name; a name may contain it further in.
            "SELECT '__tre_person' AS label, 1 AS my__tre_count",
        ] {
            check(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    #[test]
    fn the_refusal_names_what_was_refused() {
        let m = check("DROP TABLE person").unwrap_err().to_string();
        assert!(m.contains("DROP TABLE"), "{m}");
        let m = check("EXPLAIN SELECT 1").unwrap_err().to_string();
        assert!(m.contains("EXPLAIN"), "{m}");
        let m = check(&format!("SELECT {}", "1 + ".repeat(20_000) + "1")).unwrap_err().to_string();
        assert!(m.contains("KiB"), "{m}");
        let m = check("SELEC 1").unwrap_err().to_string();
        assert!(m.contains("syntax"), "{m}");
        let deep = format!("SELECT {}1{}", "(".repeat(500), ")".repeat(500));
        assert!(check(&deep).is_err(), "deep nesting is stopped by the parser's recursion limit");
        // A chain of operators within the size limit, one step too deep, and one that is not.
        let chain = |n: usize| format!("SELECT {} AS x FROM person", vec!["1"; n].join("+"));
        let m = check(&chain(MAX_EXPR_DEPTH + 1)).unwrap_err().to_string();
        assert!(m.contains("nested") && chain(MAX_EXPR_DEPTH + 1).len() < MAX_SQL_BYTES, "{m}");
        check(&chain(MAX_EXPR_DEPTH)).unwrap();
        let unions = |n: usize| format!("SELECT COUNT(*) FROM ({}) t", vec!["SELECT 1"; n + 1].join(" UNION ALL "));
        let m = check(&unions(MAX_SET_OPERATIONS + 1)).unwrap_err().to_string();
        assert!(m.contains("set operations"), "{m}");
        check(&unions(MAX_SET_OPERATIONS)).unwrap();
        let ors = (0..500).map(|i| format!("drug_code = 'C{i}'")).collect::<Vec<_>>().join(" OR ");
        check(&format!("SELECT COUNT(*) FROM drug_exposure WHERE {ors}")).unwrap();
    }
}
