-- Sign-in throttling counts each password check *before* it is made, atomically (on
-- the single writer), per account-and-client-address and per account; it replaces the
-- list of failures, which was read before the check and written after it (a parallel
-- burst got every guess checked) and grew with every anonymous attempt.
-- (PostgreSQL twin of ../sqlite/0006_sign_in_throttle.sql; dropping the table drops
-- its index too, as in SQLite.)
DROP TABLE sign_in_failures;

CREATE TABLE sign_in_throttle (
    -- `pair:<email key>|<address>` or `account:<email key>`.
    key TEXT COLLATE "C" PRIMARY KEY,
    -- Password checks in the window that started at window_start (Unix seconds).
    count BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);
-- The sweeper deletes by age.
CREATE INDEX sign_in_throttle_by_last ON sign_in_throttle (last_at);
