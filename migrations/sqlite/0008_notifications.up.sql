-- In-app notifications: accreditation reminders, projects suspended or closed. The key makes
-- each one once only.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    dedupe_key TEXT NOT NULL UNIQUE,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_person ON notifications (person_id, created_at);
