-- The directory refresh that is running, for every server on the database to see: its
-- progress (alc_domain::directory::RefreshProgress as JSON) and when it last said it
-- was alive (Unix seconds). One row at most. PostgreSQL's servers write it; a SQLite
-- file has one server, which keeps its run in memory, so here the table stays empty.
CREATE TABLE refresh_runs (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    progress TEXT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
