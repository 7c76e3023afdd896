import { LOCAL_ENGINE_ID, type EngineCreate, type EngineObject, type EngineTestResult, type EngineUpdate } from '../../shared/engines.js';
import { checkSshKey, engineKindOf, probeEngine, type EngineKind } from '../docker/engine-probe.js';
import type { EngineIdentity } from '../docker/engine.js';
import { CapstanError } from '../errors.js';
import { endpointOf, type EngineCredentials, type EngineRecord, type EngineStore, type EngineValues } from './engine-store.js';
import { engineNotFound, type EngineLink, type EnginePool } from './engines.js';
import type { ServiceStore } from './service-store.js';

const builtinRefused = (what: string) =>
  new CapstanError('CONFLICT', `The local engine cannot be ${what}`, { details: 'id: the local engine comes from DOCKER_HOST; change it in the configuration' });

/** The credentials a URL needs and allows: TLS only for tcp://, a key only for ssh:// (checked before anything connects). */
function credentialsFor(kind: EngineKind, c: { tls?: EngineCreate['tls'] | null; ssh?: EngineCreate['ssh'] | null }): EngineCredentials {
  if (c.tls && kind !== 'tcp') throw new CapstanError('BAD_REQUEST', 'TLS credentials need a tcp:// URL', { details: `tls: only for tcp:// engines, not ${kind}://` });
  if (c.ssh && kind !== 'ssh') throw new CapstanError('BAD_REQUEST', 'An ssh key needs an ssh:// URL', { details: `ssh: only for ssh:// engines, not ${kind}://` });
  if (kind === 'ssh' && !c.ssh) throw new CapstanError('BAD_REQUEST', 'An ssh engine needs a key', { details: 'ssh.private_key: required for ssh:// (Capstan logs in with a key only)' });
  if (c.ssh) checkSshKey(c.ssh.private_key, c.ssh.passphrase);
  return {
    ...(c.tls ? { tls: { ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key } } : {}),
    ...(c.ssh ? { ssh: { privateKey: c.ssh.private_key, ...(c.ssh.passphrase ? { passphrase: c.ssh.passphrase } : {}) } } : {}),
  };
}

const kindOfUrl = (url: string): EngineObject['kind'] => {
  try {
    return engineKindOf(url);
  } catch {
    return 'tcp';
  }
};

/**
 * Engines as data: added, edited and removed at runtime, each saved only
 * after a connection test with what would be saved (an unreachable URL, a
 * wrong certificate or key is a 400 naming the field, and nothing is
 * written). Credentials are sealed and never returned. An engine with
 * services is not removed (409).
 */
export class EngineAdmin {
  constructor(
    private readonly store: EngineStore,
    private readonly pool: EnginePool,
    private readonly services: ServiceStore,
  ) {}

  async list(): Promise<EngineObject[]> {
    const [records, counts] = await Promise.all([this.store.list(), this.services.countByEngine()]);
    const byId = new Map(records.map((r) => [r.id, r]));
    // Rows another process just added have no link here yet: read them once.
    if (records.some((r) => !this.pool.find(r.id))) await this.pool.reload();
    // `local` first, then by name.
    const links = this.pool.all().sort((a, b) => (a.id === LOCAL_ENGINE_ID ? -1 : b.id === LOCAL_ENGINE_ID ? 1 : a.name.localeCompare(b.name)));
    const objects = await Promise.all(links.map((l) => this.toObject(l, byId.get(l.id), counts.get(l.id) ?? 0)));
    return objects.map(({ daemonId, ...o }) => ({ ...o, same_daemon_as: daemonId ? objects.filter((x) => x.id !== o.id && x.daemonId === daemonId).map((x) => x.name) : [] }));
  }

  /** The names of the connected engines (other than `except`) whose daemon has this id. */
  private async namesOfDaemon(daemonId: string, except?: string): Promise<string[]> {
    if (!daemonId) return [];
    const others = this.pool.all().filter((l) => l.id !== except && l.watcher.current());
    const ids = await Promise.all(others.map(async (l) => (await this.identityOf(l))?.daemonId));
    return others.filter((_, i) => ids[i] === daemonId).map((l) => l.name).sort((a, b) => a.localeCompare(b));
  }

  private identityOf(link: EngineLink): Promise<EngineIdentity | undefined> {
    return link.engine.identity().catch(() => undefined);
  }

  async get(id: string): Promise<EngineObject> {
    const link = await this.pool.link(id).catch(() => undefined);
    if (!link) throw engineNotFound(id);
    const record = id === LOCAL_ENGINE_ID ? undefined : await this.store.find(id);
    const { daemonId, ...object } = await this.toObject(link, record, (await this.services.countByEngine()).get(id) ?? 0);
    return { ...object, same_daemon_as: daemonId ? await this.namesOfDaemon(daemonId, id) : [] };
  }

  /** Tests what would be saved, without saving it. */
  async test(input: EngineCreate): Promise<EngineTestResult> {
    try {
      const kind = engineKindOf(input.url);
      const credentials = credentialsFor(kind, input);
      const probe = await probeEngine(endpointOf({ url: input.url, credentials }), input.ssh?.host_key);
      const same = await this.namesOfDaemon(probe.daemonId);
      return { ok: true, version: probe.version, api_version: probe.apiVersion, ssh_host_key: probe.hostKey, same_daemon_as: same, error: null, details: null };
    } catch (err) {
      if (!(err instanceof CapstanError) || err.code !== 'BAD_REQUEST') throw err;
      return { ok: false, version: null, api_version: null, ssh_host_key: null, same_daemon_as: [], error: err.message, details: err.details ?? null };
    }
  }

  async create(input: EngineCreate): Promise<{ engine: EngineObject; record: EngineRecord }> {
    const values = await this.tested(input.name, input.url, credentialsFor(engineKindOf(input.url), input), input.ssh?.host_key ?? null);
    const record = await this.store.insert(values);
    await this.pool.changed(record.id);
    await this.pool.find(record.id)?.watcher.settled();
    return { engine: await this.get(record.id), record };
  }

  async update(input: EngineUpdate): Promise<{ engine: EngineObject; record: EngineRecord }> {
    if (input.id === LOCAL_ENGINE_ID) throw builtinRefused('edited');
    const current = await this.store.get(input.id);
    const url = input.url ?? current.url;
    const kind = engineKindOf(url);
    const keep = current.credentials;
    // Left out: the sealed one stays; null: dropped; given: replaces.
    const tls = input.tls === undefined ? (keep.tls && { ...keep.tls }) : input.tls;
    const ssh =
      input.ssh === undefined
        ? keep.ssh && { private_key: keep.ssh.privateKey, ...(keep.ssh.passphrase ? { passphrase: keep.ssh.passphrase } : {}) }
        : input.ssh;
    const credentials = credentialsFor(kind, { tls: kind === 'tcp' ? tls : input.tls, ssh: kind === 'ssh' ? ssh : input.ssh });
    // A new host (or a new key given) is checked afresh; the same host keeps its pinned key.
    const sameHost = new URL(url).host === new URL(current.url).host;
    const hostKey = input.ssh?.host_key ?? (sameHost && kind === 'ssh' ? current.sshHostKey : null);
    const values = await this.tested(input.name ?? current.name, url, credentials, hostKey);
    const record = await this.store.update(input.id, values);
    await this.pool.changed(record.id);
    // The new link's first connection (tested a moment ago) before the answer says whether it is available.
    await this.pool.find(record.id)?.watcher.settled();
    return { engine: await this.get(record.id), record };
  }

  async remove(id: string): Promise<EngineRecord> {
    if (id === LOCAL_ENGINE_ID) throw builtinRefused('removed');
    const record = await this.store.get(id);
    const users = await this.services.namesOnEngine(id);
    if (users.length) {
      throw new CapstanError('CONFLICT', 'Engine has services', {
        details: `id: ${users.length} service(s) run on this engine (${users.slice(0, 5).join(', ')}); move or delete them first`,
      });
    }
    await this.store.delete(id);
    await this.pool.changed(id);
    return record;
  }

  private async tested(name: string, url: string, credentials: EngineCredentials, hostKey: string | null): Promise<EngineValues> {
    const probe = await probeEngine(endpointOf({ url, credentials }), hostKey);
    return { name, url, credentials, sshHostKey: url.startsWith('ssh:') ? (hostKey ?? probe.hostKey) : null };
  }

  /** The engine object but for same_daemon_as, which needs the others: with the daemon id to work it out. */
  private async toObject(link: EngineLink, record: EngineRecord | undefined, services: number): Promise<Omit<EngineObject, 'same_daemon_as'> & { daemonId: string | undefined }> {
    const view = link.watcher.current();
    const version = view ? await this.identityOf(link) : undefined;
    return {
      daemonId: version?.daemonId,
      id: link.id,
      name: link.name,
      url: link.url,
      kind: kindOfUrl(record?.url ?? link.url),
      builtin: link.id === LOCAL_ENGINE_ID,
      tls: Boolean(record?.credentials.tls),
      ssh_host_key: record?.sshHostKey ?? null,
      available: view !== undefined,
      error: link.watcher.problem(),
      version: version?.version ?? null,
      api_version: version?.apiVersion ?? null,
      services,
      containers: view?.length ?? 0,
      running: view?.filter((c) => c.state === 'running').length ?? 0,
      created_at: record?.createdAt.toISOString() ?? null,
      updated_at: record?.updatedAt.toISOString() ?? null,
    };
  }
}
