import type Docker from 'dockerode';
import { engineCall } from './errors.js';

export interface EngineInfo {
  version: string;
  apiVersion: string;
}

/** What the engine's /info says that Capstan uses: which daemon it is, and its default logging driver. */
export interface DaemonFacts {
  /** The daemon's own id: two engine entries (or URLs) with the same id are one daemon. */
  id: string;
  loggingDriver: string;
}

export function daemonFacts(docker: Docker): Promise<DaemonFacts> {
  return engineCall(async (abortSignal) => {
    const info = await (docker.info as (o: object) => Promise<{ ID?: string; LoggingDriver?: string }>)({ abortSignal });
    return { id: info.ID ?? '', loggingDriver: info.LoggingDriver || 'json-file' };
  }, 'Could not read the engine info');
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
