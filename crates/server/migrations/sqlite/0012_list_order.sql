-- The licensing lists' other orders (GET /agents?sort=…), each ending in id so that
-- paging is stable; descending orders walk the same index backwards. Extensions sort
-- as numbers would (shorter first, then digit by digit). By source, then by name as
-- the list's default order is. (The name order has had its index since 0001.)
CREATE INDEX agents_by_email ON agents (lower(email), id);
CREATE INDEX agents_by_extension ON agents (length(extension), extension, id);
CREATE INDEX agents_by_source ON agents (source, lower(name), id);
