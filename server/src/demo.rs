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

/// The demo dataset's name.
pub const DEMO_DATASET: &str = "demo-omop";

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The synthetic data could not be made or ingested.
    #[error("the demo dataset could not be made: {0}")]
    Data(String),
}

/// Seeds the installation if nobody exists yet: people, accreditation, a demo dataset of
/// `persons` synthetic persons, and a demo project. Returns the accounts created (empty when
/// the installation was already seeded).
pub async fn seed(
    db: &Db,
    objects: &crate::objects::Objects,
    master: &crate::keys::MasterKey,
    data_dir: &std::path::Path,
    persons: u64,
    now: OffsetDateTime,
) -> Result<Vec<DemoAccount>, SeedError> {
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
                password_hash: password.hash().map_err(StoreError::Corrupt)?,
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
    demo_dataset(db, objects, data_dir, persons, ids[2], now).await?;
    let project = crate::projects::store::create_demo_project(
        db,
        master,
        now,
        DEMO_PROJECT,
        today - Duration::days(30),
        today + Duration::days(365),
        (ids[1], ProjectRole::Analyst),
    )
    .await?;
    demo_extract(db, objects, master, project, ids[2], now).await?;
    Ok(created)
}

/// Generates the synthetic demo data and ingests it as the demo custodian.
async fn demo_dataset(
    db: &Db,
    objects: &crate::objects::Objects,
    data_dir: &std::path::Path,
    persons: u64,
    custodian: i64,
    now: OffsetDateTime,
) -> Result<(), SeedError> {
    use crate::datasets::{domain::DatasetName, ingest, store::Committer, synthetic};
    let source = data_dir.join("demo-source");
    let options = synthetic::Options { persons, seed: 2026, out: source.clone() };
    tokio::task::spawn_blocking(move || synthetic::generate(&options, |_| {}))
        .await
        .map_err(|e| SeedError::Data(e.to_string()))?
        .map_err(|e| SeedError::Data(e.to_string()))?;
    let request = ingest::Request {
        dataset: DatasetName::parse(DEMO_DATASET).map_err(|e| SeedError::Data(crate::i18n::en(&e)))?,
        description: "Synthetic OMOP-shaped claims and records (demo; no real person)".into(),
        person_column: "person_id".into(),
        source: source.clone(),
    };
    let result = ingest::ingest(db, objects, now, Committer::Seed { custodian }, &request, |_, _| {}).await;
    let _ = std::fs::remove_dir_all(&source);
    result.map(|_| ()).map_err(|e| SeedError::Data(e.to_string()))
}

/// The demo project's protocol: persons with type 2 diabetes, their demographics (birth years
/// banded), their glucose-lowering drugs and their HbA1c results, dates shifted by up to 30 days.
pub fn demo_protocol() -> crate::extracts::domain::Protocol {
    use crate::extracts::domain::{Cohort, Protocol, TableSelection};
    let t = |table: &str, columns: &[&str], filter: Option<&str>| TableSelection {
        table: table.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        filter: filter.map(String::from),
    };
    Protocol {
        dataset: DEMO_DATASET.into(),
        version: 1,
        tables: vec![
            t("person", &["sex", "year_of_birth", "region"], None),
            t(
                "drug_exposure",
                &["drug_exposure_start_date", "drug_code", "days_supply", "quantity", "cost"],
                Some("drug_code LIKE 'A10%'"),
            ),
            t(
                "measurement",
                &["measurement_date", "measurement_code", "value_as_number", "unit"],
                Some("measurement_code = 'HbA1c'"),
            ),
        ],
        cohort: Some(Cohort { table: "condition_occurrence".into(), filter: "condition_code = 'E11.9'".into() }),
        date_shift_days: 30,
        birth_year_bands: true,
        rare_categories: vec![crate::extracts::domain::RareCategories {
            table: "drug_exposure".into(),
            column: "drug_code".into(),
            min_persons: 10,
        }],
    }
}

async fn demo_extract(
    db: &Db,
    objects: &crate::objects::Objects,
    master: &crate::keys::MasterKey,
    project: i64,
    custodian: i64,
    now: OffsetDateTime,
) -> Result<(), SeedError> {
    crate::extracts::store::build(
        db,
        objects,
        master,
        now,
        crate::datasets::store::Committer::Seed { custodian },
        project,
        &demo_protocol(),
    )
    .await
    .map(|_| ())
    .map_err(|e| SeedError::Data(e.to_string()))
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
