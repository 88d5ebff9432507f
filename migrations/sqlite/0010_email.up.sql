-- Where a person's notifications are also sent by email, and which notifications were sent.
ALTER TABLE people ADD COLUMN email TEXT;
ALTER TABLE notifications ADD COLUMN emailed_at BIGINT;
