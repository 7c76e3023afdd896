import type Docker from 'dockerode';
import { uniqueName } from './engine.js';

/**
 * Versions of one image in the local test registry: each a container of the
 * test image that wrote a file, committed; pushed under one tag. Every image
 * made is removed by `cleanup`.
 */
export interface RegistryImages {
  build(version: string): Promise<string>;
  /** Tags the image as repo:tag and pushes it; answers the manifest digest the registry recorded. */
  push(id: string, tag?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export function registryImages(docker: Docker, repo: string, baseImage: string): RegistryImages {
  const made: string[] = [];
  return {
    async build(version) {
      const c = await docker.createContainer({ name: uniqueName('updates-test-build'), Image: baseImage, Cmd: ['sh', '-c', `echo ${version} > /version`] });
      await c.start();
      await c.wait();
      const { Id } = (await c.commit()) as { Id: string };
      await c.remove();
      made.push(Id);
      return Id;
    },
    async push(id, tag = '1') {
      await docker.getImage(id).tag({ repo, tag });
      const stream = await docker.getImage(`${repo}:${tag}`).push({ tag });
      const out = await new Promise<{ error?: string; aux?: { Digest?: string } }[]>((resolve, reject) =>
        docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => (err ? reject(err) : resolve(events))),
      );
      if (out.some((e) => e.error)) throw new Error(JSON.stringify(out));
      const digest = out.find((e) => e.aux?.Digest)?.aux?.Digest;
      if (!digest) throw new Error(`no digest in ${JSON.stringify(out)}`);
      return digest;
    },
    async cleanup() {
      for (const id of made.reverse()) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    },
  };
}
