CREATE TABLE `app_template` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`categories` text NOT NULL,
	`logo` text,
	`note` text,
	`variables` text NOT NULL,
	`compose` text,
	`repository` text,
	`imported_at` integer NOT NULL
);
