ALTER TABLE people DROP COLUMN password_must_change;
