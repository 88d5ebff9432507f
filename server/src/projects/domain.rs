//! Projects, memberships and project roles. No I/O.

use time::Date;

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Being written; no access.
    Draft,
    /// Approved by the board; access within its dates.
    Approved,
    /// Suspended by the board or a custodian; no access.
    Suspended,
    /// Closed; no access.
    Closed,
}

impl Status {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Approved => "approved",
            Status::Suspended => "suspended",
            Status::Closed => "closed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [Status::Draft, Status::Approved, Status::Suspended, Status::Closed].into_iter().find(|x| x.as_str() == s)
    }
}

/// Roles a person holds within one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProjectRole {
    /// Leads the project; an analyst who may also manage the team.
    PrincipalInvestigator,
    /// Queries the project's extract and asks for releases.
    Analyst,
    /// Sees the project page; no data.
    Observer,
}

impl ProjectRole {
    /// Stored (and casbin) name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectRole::PrincipalInvestigator => "principal_investigator",
            ProjectRole::Analyst => "analyst",
            ProjectRole::Observer => "observer",
        }
    }

    /// Name shown on pages.
    pub fn label(self) -> &'static str {
        match self {
            ProjectRole::PrincipalInvestigator => "Principal investigator",
            ProjectRole::Analyst => "Analyst",
            ProjectRole::Observer => "Observer",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [ProjectRole::PrincipalInvestigator, ProjectRole::Analyst, ProjectRole::Observer]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Status.
    pub status: Status,
    /// First day of access.
    pub starts_on: Date,
    /// Last day of access.
    pub ends_on: Date,
}

impl Project {
    /// Whether `today` is within the approved dates (both ends included).
    pub fn in_date(&self, today: Date) -> bool {
        self.starts_on <= today && today <= self.ends_on
    }

    /// Whether the project may be used on `today`: approved and in date (law 7: anything
    /// else ends every access and stops its release requests).
    pub fn open_on(&self, today: Date) -> bool {
        self.status == Status::Approved && self.in_date(today)
    }

    /// Whether its approval has run out: approved, and `today` after its last day.
    pub fn past_end(&self, today: Date) -> bool {
        self.status == Status::Approved && today > self.ends_on
    }
}

/// One role of one person in one project, with its dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The role.
    pub role: ProjectRole,
    /// First day.
    pub starts_on: Date,
    /// Last day, if it ends.
    pub ends_on: Option<Date>,
}

impl Membership {
    /// Whether the membership holds on `today`.
    pub fn active_on(&self, today: Date) -> bool {
        self.starts_on <= today && self.ends_on.is_none_or(|end| today <= end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_approved_project_within_its_dates_is_open() {
        let d = |n: u8| Date::from_calendar_date(2026, time::Month::June, n).unwrap();
        let p = |status| Project { id: 1, title: "t".into(), status, starts_on: d(2), ends_on: d(29) };
        assert!(p(Status::Approved).open_on(d(2)) && p(Status::Approved).open_on(d(29)));
        assert!(!p(Status::Approved).open_on(d(1)) && !p(Status::Approved).open_on(d(30)));
        assert!(p(Status::Approved).past_end(d(30)) && !p(Status::Approved).past_end(d(29)));
        for s in [Status::Draft, Status::Suspended, Status::Closed] {
            assert!(!p(s).open_on(d(15)) && !p(s).past_end(d(30)));
        }
    }
}
