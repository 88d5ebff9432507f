-- Project keys (sealed under the master key) and per-project extracts with their tables.
CREATE TABLE project_keys (
    project_id BIGINT PRIMARY KEY REFERENCES projects(id),
    nonce TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE extracts (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    version BIGINT NOT NULL,
    dataset_version_id BIGINT NOT NULL REFERENCES dataset_versions(id),
    protocol TEXT NOT NULL,
    protocol_sha256 TEXT NOT NULL,
    prefix TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES people(id),
    created_at BIGINT NOT NULL,
    UNIQUE (project_id, version)
);

CREATE TABLE extract_tables (
    extract_id BIGINT NOT NULL REFERENCES extracts(id),
    name TEXT NOT NULL,
    object_key TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    person_count BIGINT,
    sha256 TEXT NOT NULL,
    person_column TEXT,
    PRIMARY KEY (extract_id, name)
);
