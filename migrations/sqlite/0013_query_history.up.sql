-- Each analyst's queries in a workspace, for the history on the page (run again, compare).
-- The audit log keeps the SQL's hash and the outcome; this keeps the text for its author.
CREATE TABLE query_history (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    project_id BIGINT NOT NULL REFERENCES projects(id),
    at BIGINT NOT NULL,
    sql TEXT NOT NULL,
    status TEXT NOT NULL,
    row_count BIGINT
);
CREATE INDEX query_history_by_author ON query_history (project_id, person_id, id);
