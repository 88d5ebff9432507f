//! The portal and the `tre` command of the trusted research environment.
//!
//! Areas (accounts, accreditation, projects, access, audit) each keep their plain types and
//! decisions in `domain.rs`, their queries in `store.rs`, and their HTTP handlers in
//! `routes.rs`. `web` is the HTTP edge; `db` the storage on SQLite or PostgreSQL. See
//! ARCHITECTURE.md for the map and the flow of a request.

pub mod access;
pub mod accounts;
pub mod accreditation;
pub mod applications;
pub mod audit;
pub mod clock;
pub mod config;
pub mod datasets;
pub mod db;
pub mod demo;
pub mod extracts;
pub mod gate;
pub mod i18n;
pub mod keys;
pub mod ledger;
pub mod notifications;
pub mod objects;
pub mod oidc;
pub mod outputs;
pub mod projects;
pub mod runner;
pub mod web;
pub mod workspaces;

use clock::Clock;
use config::{Backend, Config};
use db::Db;
use std::sync::Arc;

/// Opens the database named by the configuration (creating the data folder for SQLite) and
/// applies pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    if config.database.backend() == Backend::Sqlite {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!("cannot create the data folder {}: {}", config.data_dir.display(), e.kind())
        })?;
    }
    let db = Db::connect(&config.database).await?;
    db.migrate().await?;
    Ok(db)
}

/// Opens the object store named by the configuration and proves it answers.
pub async fn open_objects(config: &Config) -> anyhow::Result<objects::Objects> {
    let store = objects::Objects::open(&config.objects)?;
    store.check().await?;
    Ok(store)
}

/// Serves the portal on `listener` until a shutdown signal.
pub async fn serve(
    config: Config,
    db: Db,
    store: objects::Objects,
    master: keys::MasterKey,
    clock: Arc<dyn Clock>,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<()> {
    let housekeeping = tokio::spawn(delete_expired_sessions(db.clone(), clock.clone()));
    let workspaces =
        Arc::new(workspaces::Supervisor::new(store.clone(), &config.data_dir, workspace_runner::Limits::default()));
    workspaces.probe().await;
    workspaces::spawn_reaper(workspaces.clone());
    projects::lifecycle::spawn(
        db.clone(),
        clock.clone(),
        policy::AccessPolicy,
        workspaces.clone(),
        config.lifecycle_check,
    );
    if let Some(smtp) = &config.smtp {
        match notifications::Mailer::new(smtp) {
            Ok(mailer) => notifications::spawn_mailer(
                db.clone(),
                clock.clone(),
                mailer,
                config.lifecycle_check.min(std::time::Duration::from_secs(30)),
            ),
            Err(e) => {
                tracing::warn!(error.cause = %e, "notifications cannot be emailed: the SMTP settings do not work")
            }
        }
    }
    let public_base = match &config.public_url {
        Some(url) => url.clone(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let oidc = Arc::new(oidc::Providers::new(&config.oidc, &public_base, clock.clone())?);
    {
        // Discovered in the background: a provider that is down must not stop the platform.
        let oidc = oidc.clone();
        tokio::spawn(async move { oidc.discover_all().await });
    }
    let state = web::AppState {
        db: db.clone(),
        clock,
        oidc,
        config: Arc::new(config),
        policy: policy::AccessPolicy,
        objects: store,
        master: Arc::new(master),
        workspaces,
    };
    let app = web::router(state);
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    housekeeping.abort();
    db.close().await;
    Ok(())
}

/// Every few minutes, removes expired session records so that anonymous visits (each gets a
/// session for its CSRF token) cannot grow the table without bound.
async fn delete_expired_sessions(db: Db, clock: Arc<dyn Clock>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        every.tick().await;
        match accounts::store::delete_expired_sessions(&db, clock.now()).await {
            Ok(n) if n > 0 => tracing::info!(sessions.deleted = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error.cause = %e, "removing expired sessions failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
