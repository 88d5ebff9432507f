//! Release requests as rules: the states an output moves through, who may vote on it, and
//! what a vote does. No I/O.
//!
//! An analyst saves a result as an output (a draft, judged by the gate), revises it (each
//! revision a new version: another query, notes, suppression or rounding) and asks for its
//! release. Custodians who are not members of the project and did not ask for it vote on the
//! current version: approve, request changes (back to the analyst) or reject. The policy's
//! number of approvals releases it.

/// Where an output stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Saved, judged, not yet asked for.
    Draft,
    /// Asked for; custodians vote.
    Submitted,
    /// A custodian asked the analyst for changes.
    ChangesRequested,
    /// Released: its files can be downloaded.
    Released,
    /// Rejected by a custodian.
    Rejected,
    /// Withdrawn by the analyst.
    Withdrawn,
    /// Stopped because the project's access ended (law 7).
    Stopped,
}

impl State {
    const ALL: [State; 7] = [
        State::Draft,
        State::Submitted,
        State::ChangesRequested,
        State::Released,
        State::Rejected,
        State::Withdrawn,
        State::Stopped,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::ChangesRequested => "changes_requested",
            State::Released => "released",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
            State::Stopped => "stopped",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether nothing can happen to it any more.
    pub fn is_final(self) -> bool {
        matches!(self, State::Released | State::Rejected | State::Withdrawn | State::Stopped)
    }

    /// Whether the analyst may make a new version now.
    pub fn may_revise(self) -> bool {
        matches!(self, State::Draft | State::Submitted | State::ChangesRequested)
    }
}

/// A custodian's vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    /// Release it.
    Approve,
    /// Back to the analyst, with a comment.
    RequestChanges,
    /// Never release it, with a comment.
    Reject,
}

impl Vote {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Vote::Approve => "approve",
            Vote::RequestChanges => "request_changes",
            Vote::Reject => "reject",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Vote> {
        [Vote::Approve, Vote::RequestChanges, Vote::Reject].into_iter().find(|x| x.as_str() == s)
    }
}

/// What the analyst asked the gate to do to the table before release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mitigation {
    /// Nothing: every cell as computed.
    None,
    /// Failing cells blanked, and as many more as keep them from being recomputed.
    Suppress,
    /// Suppression, then counts rounded to the parameters' base (5 when none is set).
    SuppressAndRound,
    /// Suppression, then counts rounded by midpoint-6 (0 stays 0, 1-6 become 3, 7-12 become 9).
    SuppressAndMidpoint6,
}

impl Mitigation {
    const ALL: [Mitigation; 4] =
        [Mitigation::None, Mitigation::Suppress, Mitigation::SuppressAndRound, Mitigation::SuppressAndMidpoint6];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Mitigation::None => "none",
            Mitigation::Suppress => "suppress",
            Mitigation::SuppressAndRound => "suppress_round",
            Mitigation::SuppressAndMidpoint6 => "suppress_midpoint6",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Mitigation> {
        Mitigation::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Every choice, for forms.
    pub fn all() -> [Mitigation; 4] {
        Mitigation::ALL
    }

    /// Whether cells are suppressed.
    pub fn suppresses(self) -> bool {
        self != Mitigation::None
    }
}

/// The release policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Approvals that release an output (default two).
    pub approvals: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { approvals: 2 }
    }
}

/// Why a custodian may not vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteRefusal {
    /// The output is not waiting for votes.
    NotOpen(State),
    /// They asked for it.
    Requester,
    /// They are or were a member of its project.
    Member,
    /// They voted on this version already.
    AlreadyVoted,
    /// Requesting changes or rejecting needs a comment.
    CommentNeeded,
}

impl VoteRefusal {
    /// A stable code for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            VoteRefusal::NotOpen(_) => "not_open",
            VoteRefusal::Requester => "requester",
            VoteRefusal::Member => "member",
            VoteRefusal::AlreadyVoted => "already_voted",
            VoteRefusal::CommentNeeded => "comment_needed",
        }
    }
}

impl VoteRefusal {
    /// The refusal in the reader's words.
    pub fn says(&self) -> crate::i18n::Says {
        match self {
            VoteRefusal::NotOpen(s) => crate::says!("out-vote-not-open", state = s.as_str()),
            VoteRefusal::Requester => crate::says!("out-vote-requester"),
            VoteRefusal::Member => crate::says!("out-vote-member"),
            VoteRefusal::AlreadyVoted => crate::says!("out-vote-already"),
            VoteRefusal::CommentNeeded => crate::says!("out-vote-comment-needed"),
        }
    }
}

crate::english_display!(VoteRefusal);

/// Everything deciding a vote needs.
#[derive(Debug, Clone)]
pub struct Ballot<'a> {
    /// The output's state.
    pub state: State,
    /// Who asked for it.
    pub requester: i64,
    /// Everyone who is or was a member of its project.
    pub members: &'a [i64],
    /// Who has voted on its current version, and how.
    pub votes: &'a [(i64, Vote)],
}

/// What `custodian`'s `vote` does: the output's state after it, or why it is refused.
pub fn cast(
    ballot: &Ballot<'_>,
    custodian: i64,
    vote: Vote,
    comment: &str,
    policy: Policy,
) -> Result<State, VoteRefusal> {
    if ballot.state != State::Submitted {
        return Err(VoteRefusal::NotOpen(ballot.state));
    }
    if custodian == ballot.requester {
        return Err(VoteRefusal::Requester);
    }
    if ballot.members.contains(&custodian) {
        return Err(VoteRefusal::Member);
    }
    if ballot.votes.iter().any(|(who, _)| *who == custodian) {
        return Err(VoteRefusal::AlreadyVoted);
    }
    if vote != Vote::Approve && comment.trim().is_empty() {
        return Err(VoteRefusal::CommentNeeded);
    }
    Ok(match vote {
        Vote::Approve => {
            let approvals = ballot.votes.iter().filter(|(_, v)| *v == Vote::Approve).count() + 1;
            if approvals >= policy.approvals.max(1) { State::Released } else { State::Submitted }
        }
        Vote::RequestChanges => State::ChangesRequested,
        Vote::Reject => State::Rejected,
    })
}

/// Whether the analyst may ask for release of a version the gate judged `status`.
pub fn may_submit(state: State, status: policy::sdc::Status) -> Result<(), crate::i18n::Says> {
    if !matches!(state, State::Draft | State::ChangesRequested) {
        return Err(crate::says!("out-not-submittable", state = state.as_str()));
    }
    match status {
        policy::sdc::Status::Pass | policy::sdc::Status::Review => Ok(()),
        policy::sdc::Status::Fail => Err(crate::says!("out-gate-fails")),
        policy::sdc::Status::Refused => Err(crate::says!("out-gate-refuses")),
    }
}

/// Title, purpose and notes: required, bounded. `field` names the field for the message
/// (`title`, `purpose`, `columns_note`, `sdc_note`, `reason`, `comment`).
pub fn check_text(field: &str, text: &str, required: bool, max: usize) -> Result<String, crate::i18n::Says> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(crate::says!("out-field-required", field = field));
    }
    if t.chars().count() > max {
        return Err(crate::says!("out-field-too-long", field = field, max = max));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot<'a>(members: &'a [i64], votes: &'a [(i64, Vote)]) -> Ballot<'a> {
        Ballot { state: State::Submitted, requester: 1, members, votes }
    }

    #[test]
    fn two_independent_approvals_release() {
        let p = Policy::default();
        assert_eq!(cast(&ballot(&[1, 2], &[]), 10, Vote::Approve, "", p), Ok(State::Submitted));
        assert_eq!(cast(&ballot(&[1, 2], &[(10, Vote::Approve)]), 11, Vote::Approve, "", p), Ok(State::Released));
        // A request for changes in between does not count as an approval.
        let votes = [(10, Vote::RequestChanges)];
        assert_eq!(cast(&ballot(&[1], &votes), 11, Vote::Approve, "", p), Ok(State::Submitted));
        assert_eq!(cast(&ballot(&[1], &[]), 10, Vote::Approve, "", Policy { approvals: 1 }), Ok(State::Released));
    }

    #[test]
    fn requester_members_second_votes_and_closed_outputs_are_refused() {
        let p = Policy::default();
        assert_eq!(cast(&ballot(&[1, 2], &[]), 1, Vote::Approve, "", p), Err(VoteRefusal::Requester));
        assert_eq!(cast(&ballot(&[1, 2], &[]), 2, Vote::Approve, "", p), Err(VoteRefusal::Member));
        let votes = [(10, Vote::Approve)];
        assert_eq!(cast(&ballot(&[1], &votes), 10, Vote::Approve, "", p), Err(VoteRefusal::AlreadyVoted));
        assert_eq!(cast(&ballot(&[1], &[]), 10, Vote::Reject, "  ", p), Err(VoteRefusal::CommentNeeded));
        assert_eq!(cast(&ballot(&[1], &[]), 10, Vote::Reject, "identifies a ward", p), Ok(State::Rejected));
        for state in [State::Draft, State::Released, State::Withdrawn, State::Stopped, State::ChangesRequested] {
            let b = Ballot { state, ..ballot(&[], &[]) };
            assert_eq!(cast(&b, 10, Vote::Approve, "", p), Err(VoteRefusal::NotOpen(state)));
        }
    }

    #[test]
    fn only_passing_or_reviewable_drafts_can_be_asked_for() {
        use policy::sdc::Status;
        assert!(may_submit(State::Draft, Status::Pass).is_ok());
        assert!(may_submit(State::ChangesRequested, Status::Review).is_ok());
        assert!(may_submit(State::Draft, Status::Fail).is_err());
        assert!(may_submit(State::Draft, Status::Refused).is_err());
        assert!(may_submit(State::Submitted, Status::Pass).is_err());
        assert!(may_submit(State::Released, Status::Pass).is_err());
    }

    #[test]
    fn stored_forms_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for m in Mitigation::ALL {
            assert_eq!(Mitigation::parse(m.as_str()), Some(m));
        }
        for v in [Vote::Approve, Vote::RequestChanges, Vote::Reject] {
            assert_eq!(Vote::parse(v.as_str()), Some(v));
        }
    }
}
