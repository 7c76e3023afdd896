import type Docker from 'dockerode';
import { engineCall } from './errors.js';

export interface EngineInfo {
  version: string;
  apiVersion: string;
}

/** The engine client; everything else reaches Docker through the functions in this folder. */
export class Engine {
  constructor(readonly docker: Docker) {}

  version(): Promise<EngineInfo> {
    return engineCall(async (abortSignal) => {
      // @types/dockerode lacks abortSignal here; dockerode itself supports it.
      const v = await (this.docker.version as (o: object) => Promise<Docker.DockerVersion>)({ abortSignal });
      return { version: v.Version, apiVersion: v.ApiVersion };
    }, 'Could not read the engine version');
  }
}
