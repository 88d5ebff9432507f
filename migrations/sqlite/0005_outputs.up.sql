-- Outputs asked for release, their versions (each judged by the gate), custodians' votes,
-- releases with their manifests, each project's ledger of released person sets, and the
-- gate's parameters per scope, versioned.
CREATE TABLE gate_params (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    version BIGINT NOT NULL,
    params TEXT NOT NULL,
    reason TEXT NOT NULL,
    set_by BIGINT NOT NULL REFERENCES people(id),
    set_at BIGINT NOT NULL,
    UNIQUE (scope, version)
);

CREATE TABLE outputs (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    title TEXT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES people(id),
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE output_versions (
    output_id BIGINT NOT NULL REFERENCES outputs(id),
    version BIGINT NOT NULL,
    sql_text TEXT NOT NULL,
    sql_sha256 TEXT NOT NULL,
    extract_id BIGINT NOT NULL REFERENCES extracts(id),
    purpose TEXT NOT NULL,
    columns_note TEXT NOT NULL,
    sdc_note TEXT NOT NULL,
    mitigation TEXT NOT NULL,
    params TEXT NOT NULL,
    params_version TEXT NOT NULL,
    status TEXT NOT NULL,
    judgement TEXT NOT NULL,
    csv TEXT NOT NULL,
    csv_sha256 TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES people(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (output_id, version)
);

CREATE TABLE output_votes (
    output_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    custodian_id BIGINT NOT NULL REFERENCES people(id),
    vote TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (output_id, version, custodian_id),
    FOREIGN KEY (output_id, version) REFERENCES output_versions(output_id, version)
);

CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    output_id BIGINT NOT NULL UNIQUE REFERENCES outputs(id),
    version BIGINT NOT NULL,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    csv TEXT NOT NULL,
    csv_sha256 TEXT NOT NULL,
    manifest TEXT NOT NULL,
    released_at BIGINT NOT NULL
);

CREATE TABLE ledgers (
    project_id BIGINT PRIMARY KEY REFERENCES projects(id),
    releases BIGINT NOT NULL,
    body TEXT NOT NULL
);
