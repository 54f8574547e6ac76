-- What a change came through when it was not a screen of its own ("Import of
-- roster.csv"): each agent a CSV import changes has its entry, naming the import.
ALTER TABLE audit_log ADD COLUMN via TEXT;
