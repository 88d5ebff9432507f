-- Applications for projects, their submitted versions (frozen), board members' conflict
-- declarations and votes, and the board's decisions.
CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    applicant_id BIGINT NOT NULL REFERENCES people(id),
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    draft TEXT NOT NULL,
    project_id BIGINT REFERENCES projects(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE application_versions (
    application_id BIGINT NOT NULL REFERENCES applications(id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, version)
);

CREATE TABLE board_declarations (
    application_id BIGINT NOT NULL REFERENCES applications(id),
    member_id BIGINT NOT NULL REFERENCES people(id),
    conflicted BIGINT NOT NULL CHECK (conflicted IN (0, 1)),
    note TEXT NOT NULL,
    declared_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, member_id)
);

CREATE TABLE board_votes (
    application_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES people(id),
    vote TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, version, member_id),
    FOREIGN KEY (application_id, version) REFERENCES application_versions(application_id, version)
);

CREATE TABLE board_decisions (
    application_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    conditions TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, version),
    FOREIGN KEY (application_id, version) REFERENCES application_versions(application_id, version)
);
