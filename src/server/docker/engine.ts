import type Docker from 'dockerode';
import { engineCall } from './errors.js';

export interface EngineInfo {
  version: string;
  apiVersion: string;
}

/** Version and daemon identity: what the Engines page shows of a connected engine. */
export interface EngineIdentity extends EngineInfo {
  daemonId: string;
}

/** What the engine's /info says that Capstan uses: which daemon it is, and its default logging driver. */
export interface DaemonFacts {
  /**
   * Which daemon it is: two engine entries (or URLs) with the same id are one
   * daemon. The engine's own ID alone is not enough: it comes from a key file
   * that cloned machines (and two daemons on one host) share, so its host name
   * and data root are part of it.
   */
  id: string;
  loggingDriver: string;
}

export function daemonFacts(docker: Docker): Promise<DaemonFacts> {
  return engineCall(async (abortSignal) => {
    type Info = { ID?: string; Name?: string; DockerRootDir?: string; LoggingDriver?: string };
    const info = await (docker.info as (o: object) => Promise<Info>)({ abortSignal });
    return { id: info.ID ? [info.ID, info.Name ?? '', info.DockerRootDir ?? ''].join('|') : '', loggingDriver: info.LoggingDriver || 'json-file' };
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

  private known: Promise<EngineIdentity> | undefined;

  /**
   * Version and daemon identity, asked once per connection (a list must not
   * ask every engine each time); forgetIdentity() when the connection is lost,
   * as the engine may come back upgraded. A failed ask is not kept.
   */
  identity(): Promise<EngineIdentity> {
    this.known ??= Promise.all([this.version(), daemonFacts(this.docker)]).then(
      ([v, facts]) => ({ ...v, daemonId: facts.id }),
      (err: unknown) => {
        this.known = undefined;
        throw err;
      },
    );
    return this.known;
  }

  forgetIdentity(): void {
    this.known = undefined;
  }
}
