DROP TABLE board_decisions;
DROP TABLE board_votes;
DROP TABLE board_declarations;
DROP TABLE application_versions;
DROP TABLE applications;
