-- A temporary password (set by an administrator) must be replaced at the next sign-in.
ALTER TABLE people ADD COLUMN password_must_change BIGINT NOT NULL DEFAULT 0 CHECK (password_must_change IN (0, 1));
