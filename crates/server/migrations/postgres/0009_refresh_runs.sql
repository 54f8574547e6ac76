-- The directory refresh that is running, for every server on the database to see: its
-- progress (alc_domain::directory::RefreshProgress as JSON) and when it last said it
-- was alive (Unix seconds). One row at most, written by the server holding the refresh
-- lock (an advisory lock; see store/refresh_lock.rs).
CREATE TABLE refresh_runs (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    progress TEXT COLLATE "C" NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
