CREATE TABLE `audit_checkpoint` (
	`last_id` integer PRIMARY KEY NOT NULL,
	`last_hash` text NOT NULL,
	`last_at` integer NOT NULL,
	`count` integer NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`retention_days` integer NOT NULL,
	CONSTRAINT "audit_settings_one_row" CHECK("audit_settings"."id" = 1),
	CONSTRAINT "audit_settings_retention_min" CHECK("audit_settings"."retention_days" >= 1)
);
--> statement-breakpoint
ALTER TABLE `audit_log` ADD `prev_hash` text;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `hash` text;--> statement-breakpoint
CREATE INDEX `audit_target_id_idx` ON `audit_log` (`target`,`id`);--> statement-breakpoint
CREATE INDEX `audit_outcome_id_idx` ON `audit_log` (`outcome`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `audit_prev_hash_idx` ON `audit_log` (`prev_hash`);