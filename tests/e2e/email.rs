//! Notifications by email when SMTP is configured: an administrator records an address, a
//! suspension notifies the project's members, and the message reaches an SMTP server on
//! loopback (a small sink written here that speaks the protocol's commands), once; people
//! without an address get none. A malformed address is refused.

use crate::both;
use crate::harness::{Engine, Installation, Server, demo_project};
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Accepts SMTP sessions on a free loopback port and keeps each message (envelope recipient
/// and data). Stops with the test's runtime.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let kept = messages.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ready\r\n").await;
                let (mut to, mut data, mut in_data) = (String::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            kept.lock().unwrap().push((to.clone(), std::mem::take(&mut data)));
                            let _ = write.write_all(b"250 kept\r\n").await;
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if command.starts_with("RCPT TO:") {
                        to = line[8..].trim().trim_matches(|c| c == '<' || c == '>').to_string();
                        b"250 ok\r\n"
                    } else if command.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, messages)
}

async fn email(engine: Engine) {
    let (port, messages) = smtp_sink().await;
    let port = port.to_string();
    let env = [
        ("TRE_SMTP_HOST", "127.0.0.1"),
        ("TRE_SMTP_PORT", port.as_str()),
        ("TRE_SMTP_TLS", "none"),
        ("TRE_SMTP_FROM", "tre@example.org"),
        ("TRE_LIFECYCLE_CHECK_SECONDS", "1"),
    ];
    let server = Server::start_with(Installation::new(engine).await, &env).await;
    let db = server.installation.db().await;
    let project = demo_project(&db).await;
    let admin = server.signed_in("admin").await;
    let analyst_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE username = 'analyst'").fetch_one(db.pool()).await.unwrap();
    let person = format!("/admin/people/{analyst_id}");
    let bad = admin.submit(&person, &format!("{person}/email"), &[("email", "not-an-address")]).await;
    assert_ne!(bad.status, StatusCode::SEE_OTHER, "{}", bad.body);
    assert!(bad.body.contains("is not an email address"), "{}", bad.body);
    let set = admin.submit(&person, &format!("{person}/email"), &[("email", "hana@example.org")]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);

    let custodian = server.signed_in("custodian1").await;
    let status = format!("/custodian/projects/{project}/status");
    let suspended = custodian
        .submit(&status, &format!("/custodian/projects/{project}/suspend"), &[("reason", "audit of a site")])
        .await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER, "{}", suspended.body);
    let mut got = Vec::new();
    for _ in 0..150 {
        got = messages.lock().unwrap().clone();
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "hana@example.org");
    // The body may be quoted-printable: undo its soft line breaks before reading it.
    let body = got[0].1.replace("=\n", "");
    assert!(body.contains("was suspended: audit of a site."), "{}", got[0].1);
    // Marked as sent: a later round sends nothing again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(messages.lock().unwrap().len(), 1);
    let unsent: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND emailed_at IS NULL")
            .bind(analyst_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(unsent, 0);
    server.stop().await;
}
both!(notifications_are_emailed_when_smtp_is_configured, email);
