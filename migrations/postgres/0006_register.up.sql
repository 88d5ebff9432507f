-- What the public register shows of each project: its lay summary and organisation.
ALTER TABLE projects ADD COLUMN lay_summary TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN organisation TEXT NOT NULL DEFAULT '';
