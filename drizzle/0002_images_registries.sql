CREATE TABLE `registry_credential` (
	`host` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`password_sealed` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
