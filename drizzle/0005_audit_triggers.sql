-- The audit log is append-only in the database itself, so that not even a bug
-- in Capstan can rewrite history. drizzle-kit does not track triggers: a later
-- migration that recreates audit_log must create these again.

-- The one row the delete trigger reads; start writes CAPSTAN_AUDIT_RETENTION_DAYS into it.
INSERT INTO `audit_settings` (`id`, `retention_days`) VALUES (1, 90) ON CONFLICT (`id`) DO NOTHING;
--> statement-breakpoint
-- Every new entry carries its place in the hash chain.
CREATE TRIGGER `audit_log_insert_chained` BEFORE INSERT ON `audit_log`
WHEN NEW.`hash` IS NULL OR NEW.`prev_hash` IS NULL
BEGIN
  SELECT RAISE(ABORT, 'audit_log: an entry must carry prev_hash and hash');
END;
--> statement-breakpoint
-- No entry changes. The one exception seals an entry written before the chain
-- existed: hash and prev_hash go from NULL to a value, nothing else moves.
CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log`
WHEN NOT (
  OLD.`hash` IS NULL AND OLD.`prev_hash` IS NULL
  AND NEW.`hash` IS NOT NULL AND NEW.`prev_hash` IS NOT NULL
  AND NEW.`id` = OLD.`id` AND NEW.`at` = OLD.`at` AND NEW.`actor` = OLD.`actor`
  AND NEW.`action` = OLD.`action` AND NEW.`target` IS OLD.`target`
  AND NEW.`outcome` = OLD.`outcome` AND NEW.`details` IS OLD.`details`
)
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: an entry cannot be changed');
END;
--> statement-breakpoint
-- Only entries older than the retention period may go; without a settings row, none may.
CREATE TRIGGER `audit_log_no_early_delete` BEFORE DELETE ON `audit_log`
WHEN (SELECT `retention_days` FROM `audit_settings` WHERE `id` = 1) IS NULL
  OR OLD.`at` >= CAST(unixepoch('subsec') * 1000 AS INTEGER)
     - (SELECT `retention_days` FROM `audit_settings` WHERE `id` = 1) * 86400000
BEGIN
  SELECT RAISE(ABORT, 'audit_log: an entry younger than the retention period cannot be deleted');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_settings_no_delete` BEFORE DELETE ON `audit_settings`
BEGIN
  SELECT RAISE(ABORT, 'audit_settings: the retention setting cannot be deleted');
END;
--> statement-breakpoint
-- Checkpoints say where the chain continues after pruning: they are history too.
CREATE TRIGGER `audit_checkpoint_no_update` BEFORE UPDATE ON `audit_checkpoint`
BEGIN
  SELECT RAISE(ABORT, 'audit_checkpoint is append-only: a checkpoint cannot be changed');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_checkpoint_no_delete` BEFORE DELETE ON `audit_checkpoint`
BEGIN
  SELECT RAISE(ABORT, 'audit_checkpoint is append-only: a checkpoint cannot be deleted');
END;
