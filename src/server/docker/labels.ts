/** Labels compose tools read, and Capstan's own; every container, network and volume carries them. */
export const LABEL_PROJECT = 'com.docker.compose.project';
export const LABEL_COMPOSE_SERVICE = 'com.docker.compose.service';
export const LABEL_CONTAINER_NUMBER = 'com.docker.compose.container-number';
export const LABEL_ONEOFF = 'com.docker.compose.oneoff';
export const LABEL_DEPENDS_ON = 'com.docker.compose.depends_on';
export const LABEL_COMPOSE_NETWORK = 'com.docker.compose.network';
export const LABEL_COMPOSE_VOLUME = 'com.docker.compose.volume';
export const LABEL_SERVICE_ID = 'io.capstan.service-id';
export const LABEL_CONFIG_HASH = 'io.capstan.config-hash';

/** Marks a container renamed aside during a recreate, so a crash mid-way can be recovered from. */
export const OLD_CONTAINER_MARK = '-capstan-old-';

// Compose's own labels beyond the grouping ones, so `docker compose -p NAME ps` (and tools reading them) see the project.
export const LABEL_COMPOSE_VERSION = 'com.docker.compose.version';
export const LABEL_COMPOSE_IMAGE = 'com.docker.compose.image';
export const LABEL_COMPOSE_CONFIG_HASH = 'com.docker.compose.config-hash';
export const LABEL_WORKING_DIR = 'com.docker.compose.project.working_dir';
export const LABEL_CONFIG_FILES = 'com.docker.compose.project.config_files';
export const LABEL_ENVIRONMENT_FILE = 'com.docker.compose.project.environment_file';
/**
 * The compose version Capstan writes in com.docker.compose.version: compose
 * writes its own; Capstan creates what compose v2.29 creates, so it says so.
 */
export const COMPOSE_VERSION = '2.29.0';
