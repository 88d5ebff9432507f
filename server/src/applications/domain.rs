//! Applications for projects and the ethics board's decision, as rules. No I/O.
//!
//! An accredited person writes an application (saved as a draft as often as they like) and
//! submits it: the submitted text is frozen as a version. Board members declare a conflict of
//! interest or not; an unconflicted member votes on the current version. When the quorum of
//! unconflicted votes is reached the policy decides: approved when most votes approve (with or
//! without conditions) and none rejects; rejected on any rejection; otherwise back to the
//! applicant for changes, whose answer is a new version voted on afresh.

use serde::{Deserialize, Serialize};
use time::Date;

/// What an applicant writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// Title.
    pub title: String,
    /// The research purpose.
    pub purpose: String,
    /// For the public register, in plain words.
    pub lay_summary: String,
    /// Why the public benefits.
    pub public_benefit: String,
    /// The applicant's organisation.
    pub organisation: String,
    /// Usernames of the team besides the applicant (the principal investigator).
    pub team: Vec<String>,
    /// Datasets of the catalogue asked for.
    pub datasets: Vec<String>,
    /// Tables, columns, cohort and row criteria wanted.
    pub data_request: String,
    /// The ethics committee's reference.
    pub ethics_reference: String,
    /// First day of access asked for (YYYY-MM-DD).
    pub starts_on: String,
    /// Last day of access asked for.
    pub ends_on: String,
    /// The outputs the team means to release.
    pub outputs_intended: String,
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Being written.
    Draft,
    /// With the board.
    Submitted,
    /// The board asked for changes.
    ChangesRequested,
    /// Approved: a project exists.
    Approved,
    /// Rejected.
    Rejected,
    /// Withdrawn by the applicant.
    Withdrawn,
    /// Approved, and its principal investigator is writing an amendment (the project is
    /// unchanged until the board approves it).
    Amending,
    /// An amendment is with the board.
    AmendmentSubmitted,
}

impl State {
    const ALL: [State; 8] = [
        State::Draft,
        State::Submitted,
        State::ChangesRequested,
        State::Approved,
        State::Rejected,
        State::Withdrawn,
        State::Amending,
        State::AmendmentSubmitted,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::ChangesRequested => "changes_requested",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
            State::Amending => "amending",
            State::AmendmentSubmitted => "amendment_submitted",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the applicant may edit and submit it (an approved one: as an amendment).
    pub fn editable(self) -> bool {
        matches!(self, State::Draft | State::ChangesRequested | State::Approved | State::Amending)
    }

    /// Whether the board is voting on it.
    pub fn with_the_board(self) -> bool {
        matches!(self, State::Submitted | State::AmendmentSubmitted)
    }

    /// Whether it concerns an approved project (an amendment).
    pub fn amends(self) -> bool {
        matches!(self, State::Approved | State::Amending | State::AmendmentSubmitted)
    }
}

/// A board member's vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    /// Approve.
    Approve,
    /// Approve with conditions (in the comment).
    ApproveWithConditions,
    /// Ask the applicant for changes.
    RequestChanges,
    /// Reject.
    Reject,
}

impl Vote {
    const ALL: [Vote; 4] = [Vote::Approve, Vote::ApproveWithConditions, Vote::RequestChanges, Vote::Reject];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Vote::Approve => "approve",
            Vote::ApproveWithConditions => "approve_with_conditions",
            Vote::RequestChanges => "request_changes",
            Vote::Reject => "reject",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Vote> {
        Vote::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Every vote, for forms.
    pub fn all() -> [Vote; 4] {
        Vote::ALL
    }

    fn approves(self) -> bool {
        matches!(self, Vote::Approve | Vote::ApproveWithConditions)
    }
}

/// The board's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Unconflicted votes needed for a decision (default 3).
    pub quorum: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { quorum: 3 }
    }
}

/// What the votes on a version decide, once there are enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Approved, with the conditions given (may be empty).
    Approved(Vec<String>),
    /// Rejected.
    Rejected,
    /// Back to the applicant.
    ChangesRequested,
}

/// The decision of `votes` (with their comments) under `policy`, or None before the quorum.
pub fn decide(votes: &[(Vote, String)], policy: Policy) -> Option<Outcome> {
    if votes.len() < policy.quorum.max(1) {
        return None;
    }
    if votes.iter().any(|(v, _)| *v == Vote::Reject) {
        return Some(Outcome::Rejected);
    }
    let approvals = votes.iter().filter(|(v, _)| v.approves()).count();
    if approvals * 2 > votes.len() {
        let conditions = votes
            .iter()
            .filter(|(v, c)| *v == Vote::ApproveWithConditions && !c.trim().is_empty())
            .map(|(_, c)| c.trim().to_string())
            .collect();
        return Some(Outcome::Approved(conditions));
    }
    Some(Outcome::ChangesRequested)
}

/// Why a board member may not vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteRefusal {
    /// The application is not with the board.
    NotOpen(State),
    /// No conflict declaration yet for this application.
    NotDeclared,
    /// Declared a conflict of interest.
    Conflicted,
    /// Already voted on this version.
    AlreadyVoted,
    /// They applied, or are on the team.
    OwnApplication,
    /// Conditions, changes and rejections need a comment.
    CommentNeeded,
}

impl VoteRefusal {
    /// A stable code for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            VoteRefusal::NotOpen(_) => "not_open",
            VoteRefusal::NotDeclared => "not_declared",
            VoteRefusal::Conflicted => "conflicted",
            VoteRefusal::AlreadyVoted => "already_voted",
            VoteRefusal::OwnApplication => "own_application",
            VoteRefusal::CommentNeeded => "comment_needed",
        }
    }
}

impl VoteRefusal {
    /// The refusal in the reader's words.
    pub fn says(&self) -> crate::i18n::Says {
        match self {
            VoteRefusal::NotOpen(s) => crate::says!("app-vote-not-open", state = s.as_str()),
            VoteRefusal::NotDeclared => crate::says!("app-vote-not-declared"),
            VoteRefusal::Conflicted => crate::says!("app-vote-conflicted"),
            VoteRefusal::AlreadyVoted => crate::says!("app-vote-already"),
            VoteRefusal::OwnApplication => crate::says!("app-vote-own"),
            VoteRefusal::CommentNeeded => crate::says!("app-vote-comment-needed"),
        }
    }
}

crate::english_display!(VoteRefusal);

/// Whether a board member may cast `vote` with `comment`.
pub fn may_vote(
    state: State,
    conflicted: Option<bool>,
    on_team: bool,
    voted: bool,
    vote: Vote,
    comment: &str,
) -> Result<(), VoteRefusal> {
    if !state.with_the_board() {
        return Err(VoteRefusal::NotOpen(state));
    }
    if on_team {
        return Err(VoteRefusal::OwnApplication);
    }
    match conflicted {
        None => return Err(VoteRefusal::NotDeclared),
        Some(true) => return Err(VoteRefusal::Conflicted),
        Some(false) => {}
    }
    if voted {
        return Err(VoteRefusal::AlreadyVoted);
    }
    if vote != Vote::Approve && comment.trim().is_empty() {
        return Err(VoteRefusal::CommentNeeded);
    }
    Ok(())
}

/// What an amendment changes in the project, to apply when the board approves it: the team
/// to add and to end (usernames; the principal investigator stays), and the new end date.
pub fn team_change(current: &[String], wanted: &[String]) -> (Vec<String>, Vec<String>) {
    let added = wanted.iter().filter(|w| !current.contains(w)).cloned().collect();
    let ended = current.iter().filter(|c| !wanted.contains(c)).cloned().collect();
    (added, ended)
}

/// The fields of `after` that differ from `before`, each as (the catalogue message naming
/// the field, its text before, its text after); lists are one item a line, the dates one line.
pub fn changed_fields(before: &Body, after: &Body) -> Vec<(&'static str, String, String)> {
    let fields = |b: &Body| {
        [
            ("app-form-title", b.title.clone()),
            ("app-field-purpose", b.purpose.clone()),
            ("app-field-lay-summary", b.lay_summary.clone()),
            ("app-field-public-benefit", b.public_benefit.clone()),
            ("app-field-organisation", b.organisation.clone()),
            ("app-field-team", b.team.join("\n")),
            ("app-field-datasets", b.datasets.join("\n")),
            ("app-field-data-request", b.data_request.clone()),
            ("app-field-ethics-reference", b.ethics_reference.clone()),
            ("app-field-dates", format!("{} – {}", b.starts_on, b.ends_on)),
            ("app-field-outputs-intended", b.outputs_intended.clone()),
        ]
    };
    fields(before)
        .into_iter()
        .zip(fields(after))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((name, a), (_, b))| (name, a, b))
        .collect()
}

/// Words that start a line of the data request without naming a table.
const NOT_TABLES: [&str; 5] = ["cohort", "criteria", "rows", "filter", "note"];

/// The tables and columns a data request names: each line `table: column, column` (lines
/// starting `cohort:`, `criteria:`, `rows:`, `filter:` or `note:` are free text).
pub fn requested_columns(request: &str) -> Vec<(String, Vec<String>)> {
    request
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(table, columns)| (table.trim().to_string(), columns))
        .filter(|(table, _)| !table.is_empty() && !NOT_TABLES.contains(&table.to_ascii_lowercase().as_str()))
        .map(|(table, columns)| {
            (table, columns.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect())
        })
        .collect()
}

/// The body checked for submission on `today`: every required field, dates in order and the
/// end still to come, sizes bounded. Returns the dates.
pub fn check_on(body: &Body, today: Date) -> Result<(Date, Date), crate::i18n::Says> {
    let (starts, ends) = check(body)?;
    if ends < today {
        return Err(crate::says!("app-end-past"));
    }
    Ok((starts, ends))
}

/// The body checked: every required field, dates in order, sizes bounded. Returns the dates.
pub fn check(body: &Body) -> Result<(Date, Date), crate::i18n::Says> {
    use crate::accreditation::domain::parse_date;
    let required = [
        ("title", &body.title, 200),
        ("purpose", &body.purpose, 10_000),
        ("lay_summary", &body.lay_summary, 2_000),
        ("public_benefit", &body.public_benefit, 5_000),
        ("organisation", &body.organisation, 200),
        ("data_request", &body.data_request, 10_000),
        ("ethics_reference", &body.ethics_reference, 200),
        ("outputs_intended", &body.outputs_intended, 5_000),
    ];
    for (name, value, max) in required {
        if value.trim().is_empty() {
            return Err(crate::says!("app-field-required", field = name));
        }
        if value.chars().count() > max {
            return Err(crate::says!("app-field-too-long", field = name, max = max));
        }
    }
    if body.datasets.is_empty() {
        return Err(crate::says!("app-no-dataset"));
    }
    let starts = parse_date(&body.starts_on).map_err(|_| crate::says!("app-bad-date", field = "starts_on"))?;
    let ends = parse_date(&body.ends_on).map_err(|_| crate::says!("app-bad-date", field = "ends_on"))?;
    if ends <= starts {
        return Err(crate::says!("app-dates-order"));
    }
    Ok((starts, ends))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn votes(v: &[Vote]) -> Vec<(Vote, String)> {
        v.iter().map(|v| (*v, "because".to_string())).collect()
    }

    #[test]
    fn a_quorum_of_unconflicted_votes_decides_by_majority_without_rejection() {
        use Vote::*;
        let p = Policy::default();
        assert_eq!(decide(&votes(&[Approve, Approve]), p), None);
        assert_eq!(decide(&votes(&[Approve, Approve, RequestChanges]), p), Some(Outcome::Approved(vec![])));
        assert_eq!(
            decide(&votes(&[Approve, ApproveWithConditions, Approve]), p),
            Some(Outcome::Approved(vec!["because".into()]))
        );
        assert_eq!(decide(&votes(&[Approve, Approve, Reject]), p), Some(Outcome::Rejected));
        assert_eq!(decide(&votes(&[Approve, RequestChanges, RequestChanges]), p), Some(Outcome::ChangesRequested));
        assert_eq!(decide(&votes(&[Approve]), Policy { quorum: 1 }), Some(Outcome::Approved(vec![])));
    }

    #[test]
    fn conflicted_undeclared_team_and_second_votes_are_refused() {
        use Vote::*;
        assert_eq!(may_vote(State::Submitted, Some(false), false, false, Approve, ""), Ok(()));
        assert_eq!(may_vote(State::Submitted, None, false, false, Approve, ""), Err(VoteRefusal::NotDeclared));
        assert_eq!(may_vote(State::Submitted, Some(true), false, false, Approve, ""), Err(VoteRefusal::Conflicted));
        assert_eq!(may_vote(State::Submitted, Some(false), true, false, Approve, ""), Err(VoteRefusal::OwnApplication));
        assert_eq!(may_vote(State::Submitted, Some(false), false, true, Approve, ""), Err(VoteRefusal::AlreadyVoted));
        assert_eq!(may_vote(State::Submitted, Some(false), false, false, Reject, " "), Err(VoteRefusal::CommentNeeded));
        assert_eq!(
            may_vote(State::Draft, Some(false), false, false, Approve, ""),
            Err(VoteRefusal::NotOpen(State::Draft))
        );
    }

    #[test]
    fn an_amendment_adds_and_ends_members_and_only_boards_vote_on_submitted_ones() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(team_change(&s(&["a", "b"]), &s(&["b", "c"])), (s(&["c"]), s(&["a"])));
        assert!(State::Approved.editable() && State::Approved.amends() && !State::Approved.with_the_board());
        assert!(State::AmendmentSubmitted.with_the_board() && !State::AmendmentSubmitted.editable());
        assert_eq!(
            may_vote(State::Amending, Some(false), false, false, Vote::Approve, ""),
            Err(VoteRefusal::NotOpen(State::Amending))
        );
        assert_eq!(may_vote(State::AmendmentSubmitted, Some(false), false, false, Vote::Approve, ""), Ok(()));
    }

    #[test]
    fn a_data_request_names_tables_and_columns_line_by_line() {
        let got =
            requested_columns("person: sex, year_of_birth\ncohort: E11.9\n drug_exposure : drug_code,\nfree text");
        assert_eq!(
            got,
            vec![
                ("person".to_string(), vec!["sex".to_string(), "year_of_birth".to_string()]),
                ("drug_exposure".to_string(), vec!["drug_code".to_string()]),
            ]
        );
    }

    #[test]
    fn a_submission_needs_every_field_and_dates_in_order() {
        let mut b = Body {
            title: "T".into(),
            purpose: "P".into(),
            lay_summary: "L".into(),
            public_benefit: "B".into(),
            organisation: "O".into(),
            team: vec![],
            datasets: vec!["demo-omop".into()],
            data_request: "person: sex".into(),
            ethics_reference: "E-1".into(),
            starts_on: "2026-01-01".into(),
            ends_on: "2026-12-31".into(),
            outputs_intended: "tables".into(),
        };
        assert!(check(&b).is_ok());
        b.ends_on = "2025-12-31".into();
        assert!(crate::i18n::en(&check(&b).unwrap_err()).contains("after the start"));
        b.ends_on = "2026-12-31".into();
        let d = |m, n| Date::from_calendar_date(2027, m, n).unwrap();
        assert!(crate::i18n::en(&check_on(&b, d(time::Month::January, 1)).unwrap_err()).contains("in the past"));
        b.lay_summary = " ".into();
        assert!(crate::i18n::en(&check(&b).unwrap_err()).contains("lay summary"));
    }

    #[test]
    fn an_amendment_lists_only_the_fields_it_changes() {
        let before = Body {
            title: "T".into(),
            team: vec!["analyst".into(), "admin".into()],
            starts_on: "2026-01-01".into(),
            ends_on: "2026-12-31".into(),
            ..Body::default()
        };
        assert!(changed_fields(&before, &before).is_empty());
        let after = Body { team: vec!["analyst".into()], ends_on: "2026-06-30".into(), ..before.clone() };
        let changed = changed_fields(&before, &after);
        let names: Vec<&str> = changed.iter().map(|c| c.0).collect();
        assert_eq!(names, ["app-field-team", "app-field-dates"]);
        assert_eq!(changed[0].1, "analyst\nadmin", "a list is one item a line");
        assert_eq!(changed[1].2, "2026-01-01 – 2026-06-30");
    }
}
