-- Agent search (GET /agents?q=): a case-insensitive substring of the name, email or
-- extension. `search_text` is the three lowercased (lower(), ASCII only, as PostgreSQL's
-- under "C") and joined by U+001F, which no query the store sends through it holds:
-- one column to scan for queries of 1–2 characters, and the text of the trigram index
-- for longer ones. `agents_search` is that index: FTS5's trigram tokenizer, case
-- sensitive because the text and the query are lowercased already, so a phrase MATCH
-- is exactly "search_text contains the query". Contentless (it keeps no copy of the
-- text), rows deleted by rowid. Triggers keep both in step with every write, within
-- the statement that makes it (store/search.rs; DECISIONS "Agent search at 50,000").
ALTER TABLE agents ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE agents SET search_text =
    lower(name) || char(31) || lower(email) || char(31) || lower(extension);
-- The scan reads this instead of the table's wide rows (and the kind filter with it).
CREATE INDEX agents_search_text ON agents (source, search_text);

CREATE VIRTUAL TABLE agents_search USING fts5 (
    search_text,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram case_sensitive 1'
);
INSERT INTO agents_search (rowid, search_text) SELECT id, search_text FROM agents;

-- A refresh's bulk insert writes search_text with the row (store::search::text, the
-- same text): rewriting each of 50,000 new rows cost the first import about a second.
CREATE TRIGGER agents_search_insert AFTER INSERT ON agents
BEGIN
    UPDATE agents SET search_text =
        lower(NEW.name) || char(31) || lower(NEW.email) || char(31) || lower(NEW.extension)
    WHERE id = NEW.id AND NEW.search_text = '';
    INSERT INTO agents_search (rowid, search_text) VALUES (NEW.id,
        lower(NEW.name) || char(31) || lower(NEW.email) || char(31) || lower(NEW.extension));
END;
CREATE TRIGGER agents_search_update AFTER UPDATE OF name, email, extension ON agents
BEGIN
    UPDATE agents SET search_text =
        lower(NEW.name) || char(31) || lower(NEW.email) || char(31) || lower(NEW.extension)
    WHERE id = NEW.id;
    DELETE FROM agents_search WHERE rowid = OLD.id;
    INSERT INTO agents_search (rowid, search_text) VALUES (NEW.id,
        lower(NEW.name) || char(31) || lower(NEW.email) || char(31) || lower(NEW.extension));
END;
CREATE TRIGGER agents_search_delete AFTER DELETE ON agents
BEGIN
    DELETE FROM agents_search WHERE rowid = OLD.id;
END;
