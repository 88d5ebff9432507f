//! Line-by-line differences of two texts, for the pages that compare: two queries of the
//! workspace's history, and an application's version against the one before it.

/// How a line fares from text A to text B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// In both.
    Same,
    /// Only in A.
    Removed,
    /// Only in B.
    Added,
}

impl Change {
    /// The line's CSS class (`diff-same`, `diff-removed`, `diff-added`); the page also marks
    /// each change in text, not by colour alone.
    pub fn class(&self) -> &'static str {
        match self {
            Change::Same => "same",
            Change::Removed => "removed",
            Change::Added => "added",
        }
    }
}

/// A line of the diff of two texts.
#[derive(Debug, PartialEq, Eq)]
pub struct DiffLine {
    /// Where the line is.
    pub change: Change,
    /// The line.
    pub text: String,
}

/// The longest a diff may search for the shortest edit; past it `similar` gives a coarser
/// (still correct) diff. The texts compared (SQL, an application's fields) are at most a
/// request body long, and a pathological pair must not hold a worker thread.
const DIFF_TIME: std::time::Duration = std::time::Duration::from_millis(200);

/// The line-by-line diff of text `a` against `b` (`\n` or `\r\n` line ends alike): lines
/// of both, lines only in `a` (removed) and lines only in `b` (added), in reading order, a
/// change's removed lines before its added ones.
pub fn diff_lines(a: &str, b: &str) -> Vec<DiffLine> {
    let old: Vec<&str> = a.lines().collect();
    let new: Vec<&str> = b.lines().collect();
    let deadline = std::time::Instant::now().checked_add(DIFF_TIME);
    let ops = similar::capture_diff_slices_deadline(similar::Algorithm::Myers, &old, &new, deadline);
    let line = |change, text: &&str| DiffLine { change, text: (*text).to_string() };
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    for op in ops {
        let (tag, in_old, in_new) = op.as_tag_tuple();
        let (in_old, in_new) = (old.get(in_old).unwrap_or_default(), new.get(in_new).unwrap_or_default());
        if tag == similar::DiffTag::Equal {
            out.extend(in_old.iter().map(|t| line(Change::Same, t)));
        } else {
            out.extend(in_old.iter().map(|t| line(Change::Removed, t)));
            out.extend(in_new.iter().map(|t| line(Change::Added, t)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Change, DiffLine, diff_lines};

    fn lines(diff: &[DiffLine]) -> Vec<(Change, &str)> {
        diff.iter().map(|l| (l.change, l.text.as_str())).collect()
    }

    #[test]
    fn a_changed_line_is_removed_then_added_between_unchanged_ones() {
        let a = "SELECT sex,\n  COUNT(*) AS n\nFROM person\nGROUP BY sex";
        let b = "SELECT sex,\n  COUNT(DISTINCT person_id) AS n\nFROM person\nGROUP BY sex";
        assert_eq!(
            lines(&diff_lines(a, b)),
            vec![
                (Change::Same, "SELECT sex,"),
                (Change::Removed, "  COUNT(*) AS n"),
                (Change::Added, "  COUNT(DISTINCT person_id) AS n"),
                (Change::Same, "FROM person"),
                (Change::Same, "GROUP BY sex"),
            ]
        );
    }

    #[test]
    fn lines_only_in_one_text_are_removed_or_added() {
        let a = "SELECT *\nFROM person\nWHERE sex = 'F'";
        let b = "SELECT *\nFROM person\nORDER BY year_of_birth\nLIMIT 10";
        assert_eq!(
            lines(&diff_lines(a, b)),
            vec![
                (Change::Same, "SELECT *"),
                (Change::Same, "FROM person"),
                (Change::Removed, "WHERE sex = 'F'"),
                (Change::Added, "ORDER BY year_of_birth"),
                (Change::Added, "LIMIT 10"),
            ]
        );
        assert_eq!(
            lines(&diff_lines("SELECT 1\nFROM t", "FROM t")),
            vec![(Change::Removed, "SELECT 1"), (Change::Same, "FROM t")]
        );
        assert_eq!(
            lines(&diff_lines("FROM t", "SELECT 1\nFROM t")),
            vec![(Change::Added, "SELECT 1"), (Change::Same, "FROM t")]
        );
    }

    #[test]
    fn identical_texts_have_only_unchanged_lines_whatever_their_line_ends() {
        let sql = "SELECT sex, COUNT(*)\nFROM person\n\nGROUP BY sex\n";
        let diff = diff_lines(sql, sql);
        assert_eq!(diff.len(), 4);
        assert!(diff.iter().all(|l| l.change == Change::Same), "{diff:?}");
        assert_eq!(diff[2].text, "", "an empty line is a line");
        let crlf = sql.replace('\n', "\r\n");
        assert!(diff_lines(sql, &crlf).iter().all(|l| l.change == Change::Same));
    }

    #[test]
    fn empty_texts() {
        assert!(diff_lines("", "").is_empty());
        assert_eq!(lines(&diff_lines("", "SELECT 1")), vec![(Change::Added, "SELECT 1")]);
        assert_eq!(
            lines(&diff_lines("SELECT 1\nFROM t", "")),
            vec![(Change::Removed, "SELECT 1"), (Change::Removed, "FROM t")]
        );
    }

    #[test]
    fn a_long_pair_gives_a_diff_that_keeps_every_line() {
        let a: String = (0..20_000).map(|i| format!("{}\n", i % 7)).collect();
        let b: String = (0..20_000).map(|i| format!("{}\n", i % 5)).collect();
        let diff = diff_lines(&a, &b);
        let kept = |c| diff.iter().filter(|l| l.change == c).count();
        assert_eq!(kept(Change::Same) + kept(Change::Removed), 20_000);
        assert_eq!(kept(Change::Same) + kept(Change::Added), 20_000);
    }
}
