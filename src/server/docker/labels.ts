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
