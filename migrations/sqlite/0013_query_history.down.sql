DROP TABLE query_history;
