CREATE TABLE `engine` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`credentials_sealed` text,
	`ssh_host_key` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `engine_name_unique` ON `engine` (`name`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_image_update` (
	`engine_id` text DEFAULT 'local' NOT NULL,
	`image` text NOT NULL,
	`service_ids` text NOT NULL,
	`local_digest` text,
	`remote_digest` text,
	`update_available` integer NOT NULL,
	`error` text,
	`checked_at` integer NOT NULL,
	PRIMARY KEY(`engine_id`, `image`)
);
--> statement-breakpoint
INSERT INTO `__new_image_update`("engine_id", "image", "service_ids", "local_digest", "remote_digest", "update_available", "error", "checked_at") SELECT 'local', "image", "service_ids", "local_digest", "remote_digest", "update_available", "error", "checked_at" FROM `image_update`;--> statement-breakpoint
DROP TABLE `image_update`;--> statement-breakpoint
ALTER TABLE `__new_image_update` RENAME TO `image_update`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
ALTER TABLE `service` ADD `engine_id` text DEFAULT 'local' NOT NULL;