CREATE TABLE `audit_verified_head` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_id` integer NOT NULL,
	`last_hash` text NOT NULL,
	`at` integer NOT NULL,
	CONSTRAINT "audit_verified_head_one_row" CHECK("audit_verified_head"."id" = 1)
);
