//! In-app notifications: what a person should know without asking (an accreditation about
//! to end, a project suspended or closed). Each has a key, so a sweep that runs every minute
//! tells each thing once. Email, when SMTP is configured, is sent by [`spawn_mailer`].
//!
//! A notification is kept as its catalogue message (JSON of [`Says`]), so that each person
//! reads it in their own language, on the page and in email.

use crate::clock::{from_millis, to_millis};
use crate::db::{Db, StoreError, WriteTx};
use crate::i18n::{Lang, Says};
use time::OffsetDateTime;

/// A stored notification's words. Text stored before notifications were kept as messages
/// reads as it was written.
fn stored(text: &str) -> Says {
    serde_json::from_str(text).unwrap_or_else(|_| crate::says!("notification-text", text = text))
}

/// Tells `person` `message` once (a second call with the same `key` does nothing), inside the
/// caller's transaction.
pub async fn notify(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    person: i64,
    key: &str,
    message: &Says,
) -> Result<(), StoreError> {
    let message = serde_json::to_string(message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO notifications (person_id, dedupe_key, message, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(person)
    .bind(key)
    .bind(message)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A person's newest notifications: when, and what.
pub async fn latest(db: &Db, person: i64, limit: i64) -> Result<Vec<(OffsetDateTime, Says)>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT created_at, message FROM notifications WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(person)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(at, m)| (from_millis(at), stored(&m))).collect())
}

/// Everyone who is or was a member of `project`.
pub async fn members(tx: &mut WriteTx, project: i64) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT DISTINCT person_id FROM project_members WHERE project_id = $1")
        .bind(project)
        .fetch_all(&mut **tx)
        .await?)
}

/// Tells everyone holding platform role `role` (for example `board_member`) `message` once
/// per `key`, inside the caller's transaction.
pub async fn notify_role(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    role: &str,
    key: &str,
    message: &Says,
) -> Result<(), StoreError> {
    let people: Vec<i64> = sqlx::query_scalar("SELECT person_id FROM platform_roles WHERE role = $1")
        .bind(role)
        .fetch_all(&mut **tx)
        .await?;
    for person in people {
        notify(tx, now, person, &format!("{key}:{person}"), message).await?;
    }
    Ok(())
}

/// Sends notifications by email through the configured SMTP server.
pub struct Mailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    /// A mailer for `config`.
    pub fn new(config: &crate::config::SmtpConfig) -> Result<Mailer, String> {
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::{AsyncSmtpTransport, Tokio1Executor};
        let builder = match config.tls.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(|e| e.to_string())?,
            "starttls" => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(|e| e.to_string())?
            }
            _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        };
        let mut builder = builder.port(config.port).timeout(Some(std::time::Duration::from_secs(20)));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let from = config.from.parse().map_err(|e: lettre::address::AddressError| e.to_string())?;
        Ok(Mailer { transport: builder.build(), from })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        use lettre::AsyncTransport;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to.parse().map_err(|e: lettre::address::AddressError| e.to_string())?)
            .subject(subject)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// Emails every notification not yet sent to a person with an address and an active account;
/// each sent one is marked, and written in the person's chosen language (English when they
/// chose none). A failure is logged and tried again at the next round.
pub async fn send_pending(db: &Db, mailer: &Mailer, now: OffsetDateTime) -> Result<usize, StoreError> {
    let pending: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT n.id, p.email, n.message, p.language FROM notifications n JOIN people p ON p.id = n.person_id \
         WHERE n.emailed_at IS NULL AND p.email IS NOT NULL AND p.active = 1 ORDER BY n.id LIMIT 100",
    )
    .fetch_all(db.pool())
    .await?;
    let mut sent = 0;
    for (id, email, message, language) in pending {
        let lang = language.as_deref().and_then(Lang::parse).unwrap_or_default();
        let subject = crate::i18n::text(lang, "notification-email-subject", None);
        let text = crate::i18n::says(
            lang,
            &crate::says!("notification-email", message = crate::i18n::says(lang, &stored(&message))),
        );
        match mailer.send(&email, &subject, &text).await {
            Ok(()) => {
                sqlx::query("UPDATE notifications SET emailed_at = $1 WHERE id = $2")
                    .bind(to_millis(now))
                    .bind(id)
                    .execute(db.pool())
                    .await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(notification = id, error.cause = %e, "a notification could not be emailed");
                break;
            }
        }
    }
    Ok(sent)
}

/// Emails pending notifications every `every`, for as long as the server runs.
pub fn spawn_mailer(
    db: Db,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    mailer: Mailer,
    every: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = send_pending(&db, &mailer, clock.now()).await {
                tracing::warn!(error.cause = %e, "emailing notifications failed");
            }
        }
    });
}
