-- Foundation: people, roles, accreditation, projects, sessions, sign-in throttling, audit.
-- Instants are BIGINT milliseconds since the Unix epoch; calendar dates are TEXT 'YYYY-MM-DD';
-- flags are BIGINT 0 or 1 (sqlx's Any driver reads no SQLite BOOLEAN).

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    totp_secret TEXT,
    totp_enrolled BIGINT NOT NULL DEFAULT 0 CHECK (totp_enrolled IN (0, 1)),
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL
);

CREATE TABLE platform_roles (
    person_id BIGINT NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, role)
);

CREATE TABLE training_records (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    course TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES people(id),
    recorded_at BIGINT NOT NULL,
    CHECK (expires_on > completed_on)
);

CREATE TABLE declarations (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    version TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES people(id),
    recorded_at BIGINT NOT NULL
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'suspended', 'closed')),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (ends_on > starts_on)
);

CREATE TABLE project_members (
    project_id BIGINT NOT NULL REFERENCES projects(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    PRIMARY KEY (project_id, person_id, role)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    person_id BIGINT REFERENCES people(id),
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE signin_throttle (
    username TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- Law 5: the audit log is append-only. The database itself refuses changes and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
