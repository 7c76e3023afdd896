// Portainer App Templates documents (version 2 and 3, the format community
// lists use) into Capstan templates. A container template (type 1) becomes a
// one-service compose file; a compose stack (type 3) keeps its repository, and
// its file is fetched at deploy. What does not map to compose is skipped with a
// reason. The document's shape is checked as Portainer reads it (Go's JSON: a
// wrong type fails the whole document, unknown fields and nulls are ignored).
import { stringify } from 'yaml';
import { z } from 'zod';
import { loadCompose } from '../../shared/compose/index.js';
import type { AppTemplate, SkippedTemplate, TemplateVariable } from '../../shared/templates.js';
import { CapstanError } from '../errors.js';
import { checkTemplateRepository } from './template-repository.js';

export const MAX_IMPORTED_TEMPLATES = 2000;

const str = z.string().nullish();
const bool = z.boolean().nullish();
const zEnv = z.object({
  name: str,
  label: str,
  description: str,
  default: str,
  preset: bool,
  select: z.array(z.object({ text: str, value: str, default: bool })).nullish(),
});
type PortainerEnv = z.infer<typeof zEnv>;
const zTemplate = z.object({
  type: z.number().int().nullish(),
  title: str,
  description: str,
  categories: z.array(z.string()).nullish(),
  logo: str,
  note: str,
  platform: str,
  name: str,
  image: str,
  registry: str,
  command: str,
  hostname: str,
  network: str,
  restart_policy: str,
  privileged: bool,
  interactive: bool,
  env: z.array(zEnv).nullish(),
  ports: z.array(z.string()).nullish(),
  volumes: z.array(z.object({ container: str, bind: str, readonly: bool })).nullish(),
  labels: z.array(z.object({ name: str, value: str })).nullish(),
  repository: z.object({ url: str, stackfile: str }).nullish(),
});
type PortainerTemplate = z.infer<typeof zTemplate>;
const zDocument = z.object({ version: z.string(), templates: z.array(z.unknown()) });

const invalid = (details: string) => new CapstanError('BAD_REQUEST', 'Invalid templates document', { details });

const zodDetails = (e: z.ZodError, prefix: (string | number)[] = []) =>
  e.issues
    .slice(0, 3)
    .map((i) => `${[...prefix, ...i.path].map(String).join('.') || 'document'}: ${i.message}`)
    .join('; ');

/** An entry that cannot become a template; its message is the reason shown to the user. */
class Skip extends Error {}

/** Lowercase letters, digits and dashes, as TEMPLATE_ID and compose names allow. */
const slugify = (s: string, max = 63) =>
  s.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, max).replace(/-+$/, '');

/** `base`, or base-2, base-3, … (cut so that the suffix still fits in `max`). */
function unique(base: string, taken: Set<string>, max = 63, sep = '-'): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) {
    const suffix = `${sep}${n}`;
    name = `${base.slice(0, max - suffix.length).replace(/-+$/, '')}${suffix}`;
  }
  taken.add(name);
  return name;
}

/** Compose interpolates `$` in every value: a literal from the template must not. */
const lit = (s: string) => s.replace(/\$/g, '$$$$');

/** Parses and checks a templates document; throws a 400 naming the first wrong field. */
function parseDocument(text: string, maxTemplates: number): unknown[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec(e instanceof Error ? e.message : '');
    throw invalid(`document: not valid JSON${at ? ` (at character ${at[1]})` : ''}`);
  }
  if (Array.isArray(json)) throw invalid('version: missing; version 1 documents (a bare list) are not supported');
  const doc = zDocument.safeParse(json);
  if (!doc.success) throw invalid(zodDetails(doc.error));
  if (doc.data.version !== '2' && doc.data.version !== '3') {
    throw invalid(`version: ${JSON.stringify(doc.data.version.slice(0, 20))} is not supported (2 or 3)`);
  }
  if (doc.data.templates.length > maxTemplates) {
    throw invalid(`templates: ${doc.data.templates.length} entries, at most ${maxTemplates} are allowed`);
  }
  return doc.data.templates;
}

/**
 * The templates of a Portainer App Templates document, and what was skipped with why. Each
 * container template's compose text is run through loadCompose before it is kept (about 8 ms
 * a template); `verify: false` leaves that out.
 */
export function importPortainerTemplates(
  text: string,
  opts: { maxTemplates?: number; verify?: boolean } = {},
): { templates: AppTemplate[]; skipped: SkippedTemplate[] } {
  const entries = parseDocument(text, opts.maxTemplates ?? MAX_IMPORTED_TEMPLATES);
  const parsed = entries.map((entry, i) => {
    const r = zTemplate.safeParse(entry);
    if (!r.success) throw invalid(zodDetails(r.error, ['templates', i]));
    return r.data;
  });
  const templates: AppTemplate[] = [];
  const skipped: SkippedTemplate[] = [];
  const ids = new Set<string>();
  parsed.forEach((t, i) => {
    const title = t.title?.trim() || `templates.${i}`;
    try {
      const made = convert(t, opts.verify ?? true);
      const id = unique(slugify(title) || 'template', ids);
      templates.push({
        id,
        title,
        description: t.description ?? '',
        categories: (t.categories ?? []).filter((c) => c.trim() !== ''),
        logo: t.logo || null,
        note: t.note || null,
        source: 'imported',
        ...made,
      });
    } catch (e) {
      if (!(e instanceof Skip)) throw e;
      skipped.push({ title, reason: e.message });
    }
  });
  return { templates, skipped };
}

type Converted = Pick<AppTemplate, 'variables' | 'compose' | 'repository'>;

function convert(t: PortainerTemplate, verify: boolean): Converted {
  if (!t.title?.trim()) throw new Skip('no title');
  if (t.platform?.trim().toLowerCase() === 'windows') throw new Skip('a Windows template');
  switch (t.type) {
    case 1:
      return containerTemplate(t, verify);
    case 2:
      throw new Skip('a Docker Swarm stack (type 2): Capstan deploys compose projects');
    case 3:
      return stackTemplate(t);
    case null:
    case undefined:
      throw new Skip('no type');
    default:
      throw new Skip(`template type ${t.type} is not supported (1 container, 3 compose stack)`);
  }
}

function stackTemplate(t: PortainerTemplate): Converted {
  const url = t.repository?.url?.trim();
  const stackfile = t.repository?.stackfile?.trim();
  if (!url || !stackfile) throw new Skip('a compose stack without a repository url and stackfile');
  try {
    checkTemplateRepository({ url, stackfile });
  } catch (e) {
    throw new Skip(e instanceof CapstanError && e.details ? e.details : 'bad repository');
  }
  // The stack's own file interpolates these by name, so a name has to be usable as it is;
  // a preset (fixed) value is still a .env line, so it is a variable with that default.
  const variables: TemplateVariable[] = [];
  const seen = new Set<string>();
  for (const e of t.env ?? []) {
    const name = e.name?.trim() ?? '';
    if (!VAR_NAME.test(name)) throw new Skip(`env name ${JSON.stringify(name)} cannot be a compose variable`);
    if (seen.has(name)) continue;
    seen.add(name);
    variables.push(variable(name, e));
  }
  return { variables, compose: null, repository: { url, stackfile } };
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function variable(name: string, e: PortainerEnv): TemplateVariable {
  const options = (e.select ?? [])
    .filter((o) => o.value != null)
    .map((o) => ({ label: o.text?.trim() || o.value!, value: o.value! }));
  // Portainer preselects the option marked default; a choice always has one, so else the first.
  const chosen = (e.select ?? []).find((o) => o.default && o.value != null)?.value;
  const v: TemplateVariable = {
    name,
    label: e.label?.trim() || name,
    default: chosen ?? e.default ?? options[0]?.value ?? '',
    secret: false,
  };
  if (e.description?.trim()) v.description = e.description.trim();
  if (options.length > 0) v.options = options;
  return v;
}

const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
const PORT = /^(?:(.*):)?(\d{1,5}(?:-\d{1,5})?)(?:\/(tcp|udp|sctp))?$/i;
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Portainer's network is a network on the engine by name; these (and container:<name>) are Docker's own modes. */
const NETWORK_MODES = new Set(['host', 'none', 'bridge', 'default']);

function containerTemplate(t: PortainerTemplate, verify: boolean): Converted {
  const image = t.image?.trim();
  if (!image) throw new Skip('a container template without an image');
  const serviceName = slugify(t.name?.trim() || t.title!) || 'app';
  const registry = t.registry?.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const service: Record<string, unknown> = { image: lit(registry ? `${registry}/${image}` : image) };
  if (t.command?.trim()) service.command = lit(t.command.trim());

  const variables: TemplateVariable[] = [];
  const environment: Record<string, string> = {};
  const varNames = new Set<string>();
  for (const e of t.env ?? []) {
    const key = e.name?.trim() ?? '';
    if (key === '') throw new Skip('an env entry without a name');
    if (/[=\s]/.test(key)) throw new Skip(`env name ${JSON.stringify(key)} is not a valid variable name`);
    if (Object.hasOwn(environment, key)) continue;
    if (e.preset) {
      environment[key] = lit(e.default ?? '');
      continue;
    }
    // The container's key stays as written; the .env variable needs an identifier.
    const base = key.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');
    const name = unique(base, varNames, 256, '_');
    environment[key] = `\${${name}}`;
    variables.push(variable(name, e));
  }
  if (Object.keys(environment).length > 0) service.environment = environment;

  const ports = (t.ports ?? []).map((p) => {
    const m = PORT.exec(p.trim());
    if (!m) throw new Skip(`port ${JSON.stringify(p)} is not [host:]container[/protocol]`);
    const [, host, container, proto] = m;
    const tail = `${container}${proto ? `/${proto.toLowerCase()}` : ''}`;
    return lit(host ? `${host}:${tail}` : tail);
  });
  if (ports.length > 0) service.ports = ports;

  const namedVolumes: Record<string, Record<string, never>> = {};
  const volumeNames = new Set<string>();
  const volumes = (t.volumes ?? []).map((v) => {
    const target = v.container?.trim() ?? '';
    if (!target.startsWith('/')) throw new Skip(`volume container path ${JSON.stringify(target)} is not absolute`);
    const bind = v.bind?.trim() ?? '';
    let mount: Record<string, unknown>;
    if (bind.startsWith('/')) {
      // Portainer binds through the engine, which creates a missing host folder; compose does so only when asked.
      mount = { type: 'bind', source: lit(bind), target: lit(target), bind: { create_host_path: true } };
    } else {
      if (bind !== '' && !VOLUME_NAME.test(bind)) {
        throw new Skip(`volume bind ${JSON.stringify(bind)} is neither an absolute path nor a volume name`);
      }
      const name = bind || unique(slugify(`${serviceName}-${target}`, 60) || `${serviceName}-data`, volumeNames, 63);
      namedVolumes[name] = {};
      mount = { type: 'volume', source: name, target: lit(target) };
    }
    if (v.readonly) mount.read_only = true;
    return mount;
  });
  if (volumes.length > 0) service.volumes = volumes;

  const restart = t.restart_policy?.trim() || 'always';
  if (!RESTART.test(restart)) throw new Skip(`restart policy ${JSON.stringify(restart)} is not one Docker knows`);
  service.restart = restart;

  const labels: Record<string, string> = {};
  for (const l of t.labels ?? []) {
    const name = l.name?.trim();
    if (!name) throw new Skip('a label without a name');
    labels[name] = lit(l.value ?? '');
  }
  if (Object.keys(labels).length > 0) service.labels = labels;
  if (t.privileged) service.privileged = true;
  if (t.interactive) Object.assign(service, { stdin_open: true, tty: true });
  if (t.hostname?.trim()) service.hostname = lit(t.hostname.trim());

  const doc: Record<string, unknown> = { services: { [serviceName]: service } };
  const network = t.network?.trim();
  if (network && (NETWORK_MODES.has(network) || network.startsWith('container:'))) {
    service.network_mode = network === 'default' ? 'bridge' : network;
  } else if (network) {
    // Any other name is a network that exists on the engine already, as in Portainer.
    service.networks = [network];
    doc.networks = { [network]: { external: true } };
  }
  if (Object.keys(namedVolumes).length > 0) doc.volumes = namedVolumes;

  const compose = stringify(doc, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
  if (verify) checkLoads(compose, variables, serviceName);
  return { variables, compose, repository: null };
}

/** What is imported must deploy: the same pipeline the deploy runs, with every variable set. */
function checkLoads(compose: string, variables: TemplateVariable[], name: string): void {
  const env = variables.map((v) => `${v.name}=x\n`).join('');
  const r = loadCompose({ name, yaml: compose, env });
  if (!r.ok) {
    const first = r.issues[0];
    throw new Skip(`the compose file made from it does not load: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'}`);
  }
}
