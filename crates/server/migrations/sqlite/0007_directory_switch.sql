-- Set when an admin saves a connection that reads another directory than the one the
-- phone users came from (another system, address or account): which directory that
-- was (alc_domain::connection::DirectoryAddress as JSON, sealed like the connection,
-- since it names the old account). The next refresh that is applied says in its
-- report that it followed the switch, and clears it.
ALTER TABLE directory_connection ADD COLUMN switched_from TEXT;
