ALTER TABLE `deployment` ADD `compose_yaml` text;--> statement-breakpoint
ALTER TABLE `deployment` ADD `env_hash` text;--> statement-breakpoint
ALTER TABLE `service` ADD `legacy_definition` text;--> statement-breakpoint
-- The definition moves to the project folder at start (src/server/services/project-migrate.ts); 0007 drops the old column.
UPDATE `service` SET `legacy_definition` = `definition`;
