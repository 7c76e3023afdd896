CREATE TABLE `image_update` (
	`image` text PRIMARY KEY NOT NULL,
	`service_ids` text NOT NULL,
	`local_digest` text,
	`remote_digest` text,
	`update_available` integer NOT NULL,
	`error` text,
	`checked_at` integer NOT NULL
);
