-- Identities from an institution's OpenID provider: issuer and subject, and the person an
-- administrator linked them to. A new identity is pending (no access) until linked.
CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT,
    name TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'linked', 'blocked')),
    person_id BIGINT REFERENCES people(id),
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    UNIQUE (issuer, subject),
    CHECK (state <> 'linked' OR person_id IS NOT NULL),
    CHECK (state <> 'pending' OR person_id IS NULL)
);
