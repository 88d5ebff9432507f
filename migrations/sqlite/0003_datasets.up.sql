-- Datasets (Safe data): immutable versions of ingested tables in the object store, with the
-- data dictionary that custodians edit.
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    person_column TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES people(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE dataset_versions (
    id INTEGER PRIMARY KEY,
    dataset_id BIGINT NOT NULL REFERENCES datasets(id),
    version BIGINT NOT NULL,
    prefix TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES people(id),
    created_at BIGINT NOT NULL,
    UNIQUE (dataset_id, version)
);

CREATE TABLE dataset_tables (
    id INTEGER PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES dataset_versions(id),
    name TEXT NOT NULL,
    source_file TEXT NOT NULL,
    object_key TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    person_count BIGINT,
    byte_count BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    UNIQUE (version_id, name)
);

CREATE TABLE dataset_columns (
    table_id BIGINT NOT NULL REFERENCES dataset_tables(id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    data_type TEXT NOT NULL,
    nullable BIGINT NOT NULL CHECK (nullable IN (0, 1)),
    description TEXT NOT NULL DEFAULT '',
    is_person BIGINT NOT NULL DEFAULT 0 CHECK (is_person IN (0, 1)),
    class TEXT NOT NULL DEFAULT 'other' CHECK (class IN ('identifier', 'quasi_identifier', 'sensitive', 'other')),
    PRIMARY KEY (table_id, position)
);
