CREATE TABLE `schedule` (
	`id` text PRIMARY KEY NOT NULL,
	`service_id` text NOT NULL,
	`frequency` text NOT NULL,
	`day_of_week` text,
	`time_of_day` text NOT NULL,
	`timezone` text NOT NULL,
	`action` text NOT NULL,
	`cleanup` integer DEFAULT false NOT NULL,
	`next_run_at` integer,
	`last_run_at` integer,
	`last_status` text,
	`last_summary` text,
	`last_deployment_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `service`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `schedule_service_idx` ON `schedule` (`service_id`);