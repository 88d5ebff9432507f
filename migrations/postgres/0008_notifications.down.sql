DROP INDEX notifications_person;
DROP TABLE notifications;
