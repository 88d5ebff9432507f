//! `tre serve --demo`: seeds an empty installation with one person per role, accreditation,
//! and a demo project, and prints the credentials once. A second start finds people and
//! leaves everything as it is.

use crate::accounts::domain::{DisplayName, NewPassword, PlatformRole, TotpSecret, Username};
use crate::accounts::store::{self as accounts, Creator, NewPerson};
use crate::accreditation::domain::Training;
use crate::accreditation::store::{self as accreditation, Recorder};
use crate::db::{Db, StoreError};
use crate::projects::domain::ProjectRole;
use time::{Duration, OffsetDateTime};

/// A demo account as printed.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// Role label.
    pub role: &'static str,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// TOTP key (Base32).
    pub totp: String,
}

const PEOPLE: &[(&str, &str, &str, PlatformRole)] = &[
    ("administrator", "admin", "Aoi Administrator", PlatformRole::Administrator),
    ("analyst", "analyst", "Hana Analyst", PlatformRole::Researcher),
    ("custodian", "custodian1", "Kenji Custodian", PlatformRole::Custodian),
    ("custodian", "custodian2", "Mika Custodian", PlatformRole::Custodian),
    ("board_member", "board1", "Dr Sato (board)", PlatformRole::BoardMember),
    ("board_member", "board2", "Dr Suzuki (board)", PlatformRole::BoardMember),
    ("board_member", "board3", "Dr Takahashi (board)", PlatformRole::BoardMember),
];

/// The demo project's title.
pub const DEMO_PROJECT: &str = "Demo: drug utilisation in type 2 diabetes";

/// Seeds the installation if nobody exists yet. Returns the accounts created (empty when the
/// installation was already seeded).
pub async fn seed(db: &Db, now: OffsetDateTime) -> Result<Vec<DemoAccount>, StoreError> {
    if accounts::anyone_exists(db).await? {
        return Ok(Vec::new());
    }
    let today = now.date();
    let mut created = Vec::new();
    let mut ids = Vec::new();
    for (role, username, name, platform_role) in PEOPLE {
        let password = NewPassword::generate();
        let totp = TotpSecret::generate();
        let username = Username::parse(username).map_err(StoreError::Rule)?;
        let display_name = DisplayName::parse(name).map_err(StoreError::Rule)?;
        let id = accounts::create_person(
            db,
            now,
            Creator::Bootstrap,
            NewPerson {
                username: &username,
                display_name: &display_name,
                password_hash: password.hash().map_err(StoreError::Rule)?,
                roles: &[*platform_role],
                totp_secret: Some(totp.to_base32()),
                // Demo passwords are printed for the demo's sake and stay as they are.
                password_is_temporary: false,
            },
        )
        .await?;
        ids.push(id);
        created.push(DemoAccount {
            role,
            username: username.as_str().into(),
            password: password.reveal().into(),
            totp: totp.to_base32(),
        });
    }
    let admin = ids[0];
    for id in &ids {
        let training = Training {
            course: "Safe researcher training (demo)".into(),
            completed_on: today - Duration::days(30),
            expires_on: today + Duration::days(335),
        };
        accreditation::record_training(db, now, Recorder::Seed { admin }, *id, &training).await?;
        accreditation::record_declaration(db, now, Recorder::Seed { admin }, *id, "2026-1", today - Duration::days(30))
            .await?;
    }
    crate::projects::store::create_demo_project(
        db,
        now,
        DEMO_PROJECT,
        today - Duration::days(30),
        today + Duration::days(365),
        (ids[1], ProjectRole::Analyst),
    )
    .await?;
    Ok(created)
}

/// The credentials as a table for the terminal.
pub fn credentials_table(accounts: &[DemoAccount]) -> String {
    let mut out = String::from(
        "Demo people (shown once; add each TOTP key to an authenticator app, or compute codes from it):\n\n",
    );
    out.push_str(&format!("  {:<14} {:<12} {:<22} {}\n", "role", "username", "password", "TOTP key"));
    for a in accounts {
        out.push_str(&format!("  {:<14} {:<12} {:<22} {}\n", a.role, a.username, a.password, a.totp));
    }
    out
}
