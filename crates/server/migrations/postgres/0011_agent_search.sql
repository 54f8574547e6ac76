-- Agent search (GET /agents?q=): a case-insensitive substring of the name, email or
-- extension. `search_text` is the three lowercased (lower() under "C": ASCII only, as
-- SQLite's) and joined by U+001F, which no query the store sends through it holds:
-- one column to scan for queries of 1–2 characters, and the text of the trigram index
-- for longer ones. PostgreSQL computes it on every write (a stored generated column);
-- pg_trgm's GIN index answers `search_text LIKE '%…%'` for queries of 3 characters
-- or more, rechecking each candidate row, and the planner scans instead when most
-- rows match (store/search.rs; DECISIONS "Agent search at 50,000").
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE agents ADD COLUMN search_text TEXT COLLATE "C" NOT NULL GENERATED ALWAYS AS (
    lower(name) || chr(31) || lower(email) || chr(31) || lower(extension)
) STORED;
CREATE INDEX agents_search ON agents USING gin (search_text gin_trgm_ops);
-- Counting a search that most agents match (or one of 1–2 characters) reads every
-- row's search_text: an index-only scan of this reads a third of what the table's rows
-- are (store/mod.rs sets random_page_cost so that the planner sees it).
CREATE INDEX agents_search_text ON agents (search_text) INCLUDE (source);
