//! Whether a person's accreditation is valid on a given day. No I/O.

use time::Date;
use time::macros::format_description;

/// A completed training course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Training {
    /// Course name.
    pub course: String,
    /// Day completed.
    pub completed_on: Date,
    /// Last day it counts is the day before this one.
    pub expires_on: Date,
}

/// A signed researcher declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Version of the declaration text.
    pub version: String,
    /// Day signed.
    pub signed_on: Date,
}

/// Why accreditation is not valid, in the person's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lapse {
    /// No training recorded.
    NoTraining,
    /// Every recorded training has expired.
    TrainingExpired {
        /// The most recent expiry.
        on: Date,
    },
    /// Training recorded as completed in the future.
    TrainingNotYetCompleted,
    /// No declaration signed.
    NoDeclaration,
}

impl Lapse {
    /// The lapse in the reader's words.
    pub fn says(&self) -> crate::i18n::Says {
        crate::says!("lapse", why = self.code(), on = self.on())
    }

    /// A short stable name, as in audit entries.
    pub fn code(&self) -> &'static str {
        match self {
            Lapse::NoTraining => "no_training",
            Lapse::TrainingExpired { .. } => "training_expired",
            Lapse::TrainingNotYetCompleted => "training_not_completed",
            Lapse::NoDeclaration => "no_declaration",
        }
    }

    /// The day training expired, when that is the lapse (`YYYY-MM-DD`), or nothing.
    fn on(&self) -> String {
        match self {
            Lapse::TrainingExpired { on } => format_date(*on),
            _ => String::new(),
        }
    }
}

crate::english_display!(Lapse);

/// Valid accreditation, with the day it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    /// The day the latest valid training expires.
    pub until: Date,
}

/// Judges accreditation on `today`: some training completed on or before today and expiring
/// after today, and a signed declaration.
pub fn status(training: &[Training], declarations: &[Declaration], today: Date) -> Result<Valid, Lapse> {
    let current =
        training.iter().filter(|t| t.completed_on <= today && today < t.expires_on).map(|t| t.expires_on).max();
    let until = match current {
        Some(until) => until,
        None if training.is_empty() => return Err(Lapse::NoTraining),
        None => {
            let latest_past = training.iter().filter(|t| t.expires_on <= today).map(|t| t.expires_on).max();
            return Err(match latest_past {
                Some(on) => Lapse::TrainingExpired { on },
                None => Lapse::TrainingNotYetCompleted,
            });
        }
    };
    if !declarations.iter().any(|d| d.signed_on <= today) {
        return Err(Lapse::NoDeclaration);
    }
    Ok(Valid { until })
}

/// `YYYY-MM-DD`, as stored and shown.
pub fn format_date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, crate::i18n::Says> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| crate::says!("invalid-date", value = s.trim()))
}

/// A training course name: 1 to 200 characters, no control characters.
pub fn parse_course(s: &str) -> Result<String, crate::i18n::Says> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
        return Err(crate::says!("invalid-course"));
    }
    Ok(s.to_string())
}

/// Validates a training record's dates: expiry after completion.
pub fn check_training_dates(completed_on: Date, expires_on: Date) -> Result<(), crate::i18n::Says> {
    if expires_on <= completed_on {
        return Err(crate::says!("invalid-training-dates"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn t(completed: Date, expires: Date) -> Training {
        Training { course: "Safe researcher".into(), completed_on: completed, expires_on: expires }
    }

    fn d(signed: Date) -> Declaration {
        Declaration { version: "2026-1".into(), signed_on: signed }
    }

    fn check(training: &[Training], declarations: &[Declaration], today: Date, expected: Result<Date, Lapse>) {
        assert_eq!(status(training, declarations, today).map(|v| v.until), expected);
    }

    #[test]
    fn accreditation_cases() {
        let today = date!(2026 - 11 - 24);
        check(&[], &[d(today)], today, Err(Lapse::NoTraining));
        check(
            &[t(date!(2025 - 01 - 01), date!(2026 - 01 - 01))],
            &[d(today)],
            today,
            Err(Lapse::TrainingExpired { on: date!(2026 - 01 - 01) }),
        );
        // Expiry is exclusive: on the expiry day the training no longer counts.
        check(&[t(date!(2025 - 11 - 24), today)], &[d(today)], today, Err(Lapse::TrainingExpired { on: today }));
        check(
            &[t(date!(2026 - 12 - 01), date!(2027 - 12 - 01))],
            &[d(today)],
            today,
            Err(Lapse::TrainingNotYetCompleted),
        );
        check(&[t(date!(2026 - 01 - 01), date!(2027 - 01 - 01))], &[], today, Err(Lapse::NoDeclaration));
        check(
            &[t(date!(2026 - 01 - 01), date!(2027 - 01 - 01))],
            &[d(date!(2026 - 12 - 01))],
            today,
            Err(Lapse::NoDeclaration),
        );
        check(&[t(date!(2026 - 01 - 01), date!(2027 - 01 - 01))], &[d(today)], today, Ok(date!(2027 - 01 - 01)));
        // A renewed course counts even beside an expired one; the latest expiry is reported.
        check(
            &[t(date!(2024 - 01 - 01), date!(2025 - 01 - 01)), t(date!(2026 - 06 - 01), date!(2027 - 06 - 01))],
            &[d(date!(2024 - 01 - 01))],
            today,
            Ok(date!(2027 - 06 - 01)),
        );
    }

    #[test]
    fn dates_parse_and_format() {
        assert_eq!(parse_date(" 2026-04-01 ").map(format_date), Ok("2026-04-01".to_string()));
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("01/04/2026").is_err());
        assert!(check_training_dates(date!(2026 - 01 - 01), date!(2026 - 01 - 01)).is_err());
        assert!(parse_course("").is_err());
    }
}
