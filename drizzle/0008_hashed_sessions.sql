-- Sessions at rest (issue 12): from now on a session row's id is the SHA-256
-- (hex) of the token the client holds, never the token itself.
--
-- Rows written before this migration have the raw token as their id. They are
-- ended, not converted: SQLite has no SHA-256 to hash them here, and a token
-- that has already been stored in clear may be in copies and backups of this
-- file, so keeping it valid (even hashed) would keep those copies usable.
-- Everyone signs in once more after the upgrade. With secure_delete on (set
-- by openDatabase), the deleted tokens are overwritten in the file as well.
DELETE FROM `session`;
