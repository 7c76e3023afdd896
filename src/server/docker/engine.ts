import type Docker from 'dockerode';
import { engineCall } from './errors.js';

export const LABEL_SERVICE_ID = 'io.capstan.service-id';
export const LABEL_PROJECT = 'com.docker.compose.project';
export const LABEL_COMPOSE_SERVICE = 'com.docker.compose.service';

export interface EngineInfo {
  version: string;
  apiVersion: string;
}

export interface ManagedContainerSummary {
  id: string;
  serviceId: string;
  state: string;
}

/** The engine as Capstan sees it; everything else reaches Docker through functions here. */
export class Engine {
  constructor(readonly docker: Docker) {}

  version(): Promise<EngineInfo> {
    return engineCall(async (abortSignal) => {
      // @types/dockerode lacks abortSignal here; dockerode itself supports it.
      const v = await (this.docker.version as (o: object) => Promise<Docker.DockerVersion>)({ abortSignal });
      return { version: v.Version, apiVersion: v.ApiVersion };
    }, 'Could not read the engine version');
  }

  /** One list call filtered by Capstan's label: the cheap view of every managed container. */
  listManagedContainers(): Promise<ManagedContainerSummary[]> {
    return engineCall(async (abortSignal) => {
      const list = await this.docker.listContainers({
        all: true,
        filters: { label: [LABEL_SERVICE_ID] },
        abortSignal,
      });
      return list.map((c) => ({ id: c.Id, serviceId: c.Labels[LABEL_SERVICE_ID] ?? '', state: c.State }));
    }, 'Could not list containers');
  }
}
