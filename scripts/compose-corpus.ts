/**
 * Runs the compose pipeline (and the planner) over every compose file under a
 * directory, as a user would paste each one: the file's own folder is its
 * project folder, its `.env` (or the example env file the project tells users
 * to copy) gives the variables. Prints per file: accepted / refused (with the
 * issues) / build (a `build:` is refused on purpose), and totals.
 *   npx tsx scripts/compose-corpus.ts <dir> [--verbose] [--compare]
 * --compare also runs `docker-compose config` (1.29) on each accepted file and lists the fields where
 * its reading differs from Capstan's model.
 * tests/unit/compose-corpus.test.ts runs the same check over tests/fixtures/compose.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { planProject } from '../src/server/docker/compose-plan.js';
import { parseDotenv } from '../src/shared/compose/dotenv.js';
import { loadCompose } from '../src/shared/compose/index.js';
import type { ComposeIssue, ComposeProject } from '../src/shared/compose/model.js';
import { splitShellWords } from '../src/shared/compose/shell-words.js';

/**
 * `incomplete-refused`: a service has neither image nor build nor extends — an override file meant
 * to be used with `-f base.yml -f this.yml`; docker compose refuses it alone too.
 */
export type CorpusVerdict =
  | 'accepted'
  | 'refused'
  | 'build-refused'
  | 'build-accepted'
  /** build: only in services whose profiles are not enabled: nothing is built or run, the file loads. */
  | 'build-disabled'
  | 'plan-failed'
  | 'incomplete-refused';

export interface CorpusResult {
  file: string;
  verdict: CorpusVerdict;
  issues: ComposeIssue[];
  warnings: string[];
  /** Variables that were required (`:?`/`?`) but not in any env file: given a dummy value. */
  dummyVars: string[];
  /** env_file targets missing from the folder: read as empty (a user creates them from the docs). */
  dummyFiles: string[];
  project?: ComposeProject;
  planError?: string;
  /** The env file given as .env (the folder's .env or the example it was copied from). */
  envSource?: string;
}

const COMPOSE_NAME = /(^|[-_.])compose([-_.][^/]*)?\.ya?ml$/i;
/** What projects tell users to copy to `.env` when the repository has no `.env` itself. */
const ENV_EXAMPLES = ['.env', 'env.example', '.env.example', 'example.env', '.env.sample', 'env.sample', 'stack.env'];

/** Every compose file under dir (docker-compose*.yml, compose*.yaml, …), sorted. */
export function findComposeFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') walk(p);
      } else if (e.isFile() && COMPOSE_NAME.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** A valid Capstan service name for a file: its top-level `name:`, else one made from its folder. */
function projectNameFor(file: string, doc: unknown): string {
  const own = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).name : undefined;
  if (typeof own === 'string' && /^[a-z0-9][a-z0-9_-]*$/.test(own)) return own;
  const base = path.basename(path.dirname(file)).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return (base || 'corpus').slice(0, 50);
}

/** The services (after merge keys) with `build:`: docker compose would build them, Capstan refuses that. */
function servicesWithBuild(doc: unknown): string[] {
  const services = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).services : undefined;
  if (!services || typeof services !== 'object') return [];
  return Object.entries(services as Record<string, unknown>)
    .filter(([, s]) => !!s && typeof s === 'object' && 'build' in s)
    .map(([k]) => k);
}

/** Whether some service has no image, build or extends: the file is an override, not a whole project. */
function incomplete(doc: unknown): boolean {
  const services = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).services : undefined;
  if (!services || typeof services !== 'object') return false;
  return Object.values(services as Record<string, unknown>).some(
    (s) => !s || typeof s !== 'object' || !('image' in s || 'build' in s || 'extends' in s),
  );
}

function requiredVars(yaml: string, env: string): string[] {
  const defined = new Set(env.split('\n').map((l) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(l)?.[1]).filter(Boolean));
  const names = new Set<string>();
  const text = yaml
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n');
  for (const m of text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)) if (!defined.has(m[1]!)) names.add(m[1]!);
  return [...names].sort();
}

const isEnvFileName = (p: string) => /(^|\/)(\.env[^/]*|[^/]*\.env)$/.test(p);

export function checkComposeFile(file: string): CorpusResult {
  const dir = path.dirname(file);
  const yaml = readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = YAML.parse(yaml, { merge: true, maxAliasCount: -1 });
  } catch {
    doc = undefined; // the loader reports it, with its line
  }
  const example = ENV_EXAMPLES.map((n) => path.join(dir, n)).find((p) => existsSync(p));
  let env = example ? readFileSync(example, 'utf8') : '';
  const dummyVars = requiredVars(yaml, env);
  if (dummyVars.length) env += `\n${dummyVars.map((v) => `${v}=corpus-dummy`).join('\n')}\n`;
  const dummyFiles: string[] = [];
  const files = {
    dir,
    home: os.homedir(),
    read(p: string): string | undefined {
      const abs = path.resolve(dir, p);
      if (abs === path.join(dir, '.env')) return env;
      if (existsSync(abs) && statSync(abs).isFile()) return readFileSync(abs, 'utf8');
      if (isEnvFileName(p)) {
        dummyFiles.push(path.relative(dir, abs));
        return '';
      }
      return undefined;
    },
  };
  const result = loadCompose({ name: projectNameFor(file, doc), yaml, env, files });
  const withBuild = servicesWithBuild(doc);
  const build = withBuild.length > 0;
  const base = { file, warnings: result.warnings, dummyVars, dummyFiles, ...(example ? { envSource: example } : {}) };
  if (!result.ok) {
    const forBuild = build && result.issues.some((i) => i.path.includes('build') || /build/i.test(i.message));
    const verdict = forBuild ? 'build-refused' : incomplete(doc) ? 'incomplete-refused' : 'refused';
    return { ...base, verdict, issues: result.issues };
  }
  if (build) {
    const disabled = new Set(result.project.disabled_services ?? []);
    const verdict = withBuild.every((k) => disabled.has(k)) ? 'build-disabled' : 'build-accepted';
    return { ...base, verdict, issues: [], project: result.project };
  }
  try {
    planProject('corpus0', result.project, { workingDir: dir, configFiles: [file], env: parseDotenv(env).values });
  } catch (err) {
    return { ...base, verdict: 'plan-failed', issues: [], project: result.project, planError: String((err as Error)?.message ?? err) };
  }
  return { ...base, verdict: 'accepted', issues: [], project: result.project };
}

export function summarize(results: CorpusResult[]) {
  const count = (v: CorpusVerdict) => results.filter((r) => r.verdict === v).length;
  const withoutBuild = results.filter((r) => !r.verdict.startsWith('build') && r.verdict !== 'incomplete-refused');
  return {
    total: results.length,
    withoutBuild: withoutBuild.length,
    accepted: count('accepted'),
    refused: count('refused'),
    planFailed: count('plan-failed'),
    buildRefused: count('build-refused'),
    buildAccepted: count('build-accepted'),
    incomplete: count('incomplete-refused'),
    buildDisabled: count('build-disabled'),
  };
}

/**
 * A second oracle, without an engine: what docker-compose 1.29 `config` makes of the same file and
 * .env, compared with Capstan's model on the fields both read alike. Files 1.29 cannot read (newer
 * syntax) are skipped: undefined. Returns the differences.
 */
export function compareWithCompose(r: CorpusResult): string[] | undefined {
  if (r.verdict !== 'accepted' || !r.project) return undefined;
  let cfg: { services?: Record<string, Record<string, any>> };
  try {
    const args = ['-f', path.basename(r.file), ...(r.envSource ? ['--env-file', r.envSource] : []), 'config'];
    const env = { PATH: '/usr/bin:/bin', HOME: os.homedir(), ...Object.fromEntries(r.dummyVars.map((v) => [v, 'corpus-dummy'])) };
    cfg = YAML.parse(execFileSync('docker-compose', args, { cwd: path.dirname(r.file), env, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }));
  } catch {
    return undefined;
  }
  const out: string[] = [];
  const canon = (x: unknown): string =>
    JSON.stringify(x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x);
  const unescape = (x: unknown) => (typeof x === 'string' ? x.replace(/\$\$/g, '$') : x); // 1.29 prints `$$` as written
  const words = (v: unknown) => (v === undefined ? undefined : Array.isArray(v) ? v.map((w) => unescape(String(w))) : splitShellWords(String(unescape(v))).words);
  const mapOf = (v: unknown) =>
    Object.fromEntries(
      Object.entries(Array.isArray(v) ? Object.fromEntries(v.map((l: string) => l.split(/=(.*)/s).slice(0, 2))) : (v ?? {})).map(([k, x]) => [k, x === null ? null : unescape(String(x))]),
    );
  for (const [name, theirs] of Object.entries(cfg.services ?? {})) {
    const ours = r.project.services[name];
    if (!ours) {
      if (!r.project.disabled_services?.includes(name)) out.push(`${name}: missing`);
      continue;
    }
    const cmp = (field: string, a: unknown, b: unknown) => canon(a) !== canon(b) && out.push(`${name}.${field}: Capstan ${canon(a)}, compose ${canon(b)}`);
    cmp('image', ours.image, theirs.image);
    cmp('environment', ours.environment ?? {}, mapOf(theirs.environment));
    cmp('labels', ours.labels ?? {}, mapOf(theirs.labels));
    cmp('command', ours.command, words(theirs.command));
    cmp('entrypoint', ours.entrypoint, words(theirs.entrypoint));
    cmp('restart', ours.restart ?? 'no', theirs.restart ?? 'no');
    cmp('user', ours.user, theirs.user === undefined ? undefined : String(theirs.user));
    cmp('working_dir', ours.working_dir, theirs.working_dir);
    const theirPorts: unknown[] = theirs.ports ?? [];
    if (theirPorts.every((p) => typeof p === 'object')) {
      const key = (p: any) => `${p.host_ip ?? ''}|${p.published ?? ''}|${p.target}|${p.protocol ?? 'tcp'}`;
      cmp('ports', (ours.ports ?? []).map(key).sort(), theirPorts.map(key).sort());
    }
    const vol = (v: any) => (typeof v === 'string' ? (v.includes(':') ? v.split(':').slice(0, 2).join(':') : `:${v}`) : `${v.source ?? ''}:${v.target}`);
    cmp('volumes', (ours.volumes ?? []).map(vol).sort(), (theirs.volumes ?? []).map(vol).sort());
    const test = theirs.healthcheck?.test;
    if (test !== undefined) cmp('healthcheck.test', ours.healthcheck?.test, typeof test === 'string' ? ['CMD-SHELL', unescape(test)] : test.map(unescape));
    cmp('depends_on', Object.keys(ours.depends_on ?? {}).sort(), (Array.isArray(theirs.depends_on) ? theirs.depends_on : Object.keys(theirs.depends_on ?? {})).sort());
  }
  return out;
}

function main(argv: string[]): number {
  const dir = argv.find((a) => !a.startsWith('--'));
  const verbose = argv.includes('--verbose');
  const compare = argv.includes('--compare');
  if (!dir) {
    console.error('usage: tsx scripts/compose-corpus.ts <dir> [--verbose] [--compare]');
    return 2;
  }
  const results = findComposeFiles(path.resolve(dir)).map(checkComposeFile);
  const compared: number[] = [];
  for (const r of results) {
    const rel = path.relative(path.resolve(dir), r.file);
    const notes = [
      r.dummyVars.length ? `dummy vars: ${r.dummyVars.join(',')}` : '',
      r.dummyFiles.length ? `empty env files: ${r.dummyFiles.join(',')}` : '',
      r.warnings.length ? `${r.warnings.length} warning(s)` : '',
    ].filter(Boolean);
    console.log(`${r.verdict.padEnd(18)} ${rel}${notes.length ? `  (${notes.join('; ')})` : ''}`);
    for (const i of r.issues) if (r.verdict === 'refused' || verbose) console.log(`    ${i.path.join('.')}${i.line ? ` line ${i.line}` : ''}: ${i.message}`);
    if (r.planError) console.log(`    plan: ${r.planError}`);
    if (verbose) for (const w of r.warnings) console.log(`    warning: ${w}`);
    const diff = compare ? compareWithCompose(r) : undefined;
    if (diff) compared.push(diff.length);
    for (const d of diff ?? []) console.log(`    differs from docker-compose 1.29: ${d}`);
  }
  if (compare) console.log(`\ncompared with docker-compose 1.29 config: ${compared.length} files it can read, ${compared.filter((n) => n > 0).length} differ`);
  const s = summarize(results);
  console.log(
    `\n${s.total} files; without build: ${s.accepted} of ${s.withoutBuild} accepted (${s.refused} refused, ${s.planFailed} failed to plan); ` +
      `with build: ${s.buildRefused} refused as expected, ${s.buildDisabled} loaded (build only in disabled profiles), ${s.buildAccepted} wrongly accepted; ` +
      `${s.incomplete} override files (a service without image) refused, as docker compose refuses them alone`,
  );
  return s.refused + s.planFailed + s.buildAccepted === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
