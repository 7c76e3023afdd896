// The service definition: a compose document (the subset Capstan deploys) plus
// its name. Parsing normalizes the loose compose spellings (env lists, string
// commands, numeric ports) into one shape so the server never re-interprets them.
import { z } from 'zod';
import {
  DefinitionError,
  OBJECT_NAME_RE,
  PROJECT_NAME_RE,
  parseDuration,
  parsePort,
  parseVolume,
  splitCommand,
} from './definition-parse.js';
import { findCrossServiceProblems } from './definition-checks.js';

export interface HealthcheckDefinition {
  /** Always the list form: ["NONE"], ["CMD", ...] or ["CMD-SHELL", "..."]. */
  test: string[];
  interval?: string;
  timeout?: string;
  start_period?: string;
  retries?: number;
  disable?: boolean;
}

export interface ContainerDefinition {
  image: string;
  container_name?: string;
  environment?: Record<string, string>;
  /** As written; parse with parseVolume. */
  volumes?: string[];
  /** As written (numbers turned into strings); parse with parsePort. */
  ports?: string[];
  restart?: string;
  depends_on?: string[];
  command?: string[];
  entrypoint?: string[];
  labels?: Record<string, string>;
  healthcheck?: HealthcheckDefinition;
}

export interface ServiceDefinition {
  name: string;
  services: Record<string, ContainerDefinition>;
}

const NAME_RULES = 'must start with a letter or digit and contain only letters, digits, ".", "_" and "-"';
const PROJECT_NAME_RULES =
  'must start with a lowercase letter or digit and contain only lowercase letters, digits, dashes and underscores';
const RESERVED_LABEL_PREFIXES = ['com.docker.compose.', 'io.capstan.'];
const HEALTH_TEST_KINDS = ['NONE', 'CMD', 'CMD-SHELL'];

type Ctx = z.core.$RefinementCtx;
type Path = (string | number)[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function issue(ctx: Ctx, message: string, path: Path = []): void {
  ctx.addIssue({ code: 'custom', message, path });
}

/** Turns a parser's DefinitionError into an issue; anything else is a bug and propagates. */
function reportParse<T>(ctx: Ctx, parse: () => T, path: Path = []): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    issue(ctx, e.message, path);
    return undefined;
  }
}

/** Replaces zod's "Invalid input: expected string, received number" with a short message. */
function expecting(what: string) {
  return {
    error: (iss: z.core.$ZodRawIssue) => {
      if (iss.code === 'unrecognized_keys') {
        const names = iss.keys.map((k) => `"${k}"`).join(', ');
        return iss.keys.length === 1 ? `unknown key ${names}` : `unknown keys ${names}`;
      }
      if (iss.code !== 'invalid_type' && iss.code !== 'invalid_union') return undefined;
      return iss.input === undefined ? 'required' : `must be ${what}`;
    },
  };
}

/**
 * An element schema for use inside a union option. A plain z.string() element
 * that fails makes zod treat the whole option as a type mismatch, and the union
 * then reports "must be a map or a list" on the parent instead of pointing at
 * the bad element. A refinement's issue does not have that effect. The cast only
 * restores the static type; a value that fails the guard never reaches the output.
 * `jsonType` is for the OpenAPI document, which would otherwise show "anything".
 */
function element<T>(guard: (v: unknown) => v is T, message: string, jsonType: string | string[]): z.ZodType<T, T> {
  return z
    .unknown()
    .superRefine((v, ctx) => {
      if (!guard(v)) issue(ctx, v === undefined ? 'required' : message);
    })
    .meta({ type: jsonType }) as unknown as z.ZodType<T, T>;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isScalar = (v: unknown): v is string | number | boolean | null =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

interface KeyValueRules {
  expected: string;
  checkKey(key: string): string | undefined;
  noValue(entry: string): string;
  duplicate(key: string): string;
}

/** compose's "list or dict" (environment, labels), normalized to a map of strings. */
function keyValues(rules: KeyValueRules) {
  const scalar = element(isScalar, 'must be a string, number or boolean', ['string', 'number', 'boolean', 'null']);
  const asMap = z.record(z.string(), scalar).superRefine((map, ctx) => {
    for (const key of Object.keys(map)) {
      const problem = rules.checkKey(key);
      if (problem) issue(ctx, problem, [key]);
    }
  });
  const asList = z.array(element(isString, 'must be a "KEY=value" string', 'string')).superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const eq = item.indexOf('=');
      const key = eq < 0 ? item : item.slice(0, eq);
      const problem =
        eq < 0 ? rules.noValue(item) : (rules.checkKey(key) ?? (seen.has(key) ? rules.duplicate(key) : undefined));
      if (problem) issue(ctx, problem, [i]);
      seen.add(key);
    });
  });
  // Normalize after the union, not inside it: a failed transform inside an
  // option counts as a type mismatch and would hide the option's real issues.
  return z.union([asMap, asList], expecting(rules.expected)).transform((value): Record<string, string> => {
    const entries: [string, string | number | boolean | null][] = Array.isArray(value)
      ? value.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)])
      : Object.entries(value);
    // YAML's `KEY:` with nothing after it means an empty value, as in compose.
    return Object.fromEntries(entries.map(([k, v]) => [k, v === null ? '' : String(v)]));
  });
}

const zEnvironment = keyValues({
  expected: 'a map of KEY: value or a list of "KEY=value" strings',
  checkKey: (key) =>
    key === ''
      ? 'variable name must not be empty'
      : /[=\s]/.test(key)
        ? `variable name "${key}" must not contain "=" or whitespace`
        : undefined,
  noValue: (entry) => `environment entry "${entry}" needs a value: ${entry}=value`,
  duplicate: (key) => `duplicate variable "${key}"`,
});

const zLabels = keyValues({
  expected: 'a map of key: value or a list of "key=value" strings',
  checkKey: (key) => {
    if (key === '') return 'label key must not be empty';
    if (/[=\s]/.test(key)) return `label key "${key}" must not contain "=" or whitespace`;
    const reserved = RESERVED_LABEL_PREFIXES.find((prefix) => key.startsWith(prefix));
    return reserved ? `label "${key}" is reserved: "${reserved}*" labels are set by Capstan` : undefined;
  },
  noValue: (entry) => `label "${entry}" needs a value: ${entry}=value`,
  duplicate: (key) => `duplicate label "${key}"`,
});

const zVolumes = z
  .array(
    z
      .string(expecting('a string like "data:/var/lib/data"'))
      .superRefine((v, ctx) => void reportParse(ctx, () => parseVolume(v))),
    expecting('a list of "source:/container/path" strings'),
  )
  .superRefine((volumes, ctx) => {
    const targets = new Set<string>();
    volumes.forEach((spec, i) => {
      let target: string;
      try {
        target = parseVolume(spec).target.replace(/\/+$/, '');
      } catch {
        return; // already reported on the item
      }
      if (targets.has(target)) issue(ctx, `"${target}" is already mounted by another volume`, [i]);
      targets.add(target);
    });
  });

const zPorts = z.array(
  z
    .union([z.string(), z.number()], expecting('a string like "8080:80"'))
    .superRefine((v, ctx) => void reportParse(ctx, () => parsePort(String(v))))
    .transform(String),
  expecting('a list of "host_port:container_port" strings'),
);

const zCommand = z
  .union([z.string(), z.array(element(isString, 'must be a string', 'string'))], expecting('a string or a list of strings'))
  .transform((v, ctx) => (typeof v === 'string' ? (reportParse(ctx, () => splitCommand(v)) ?? []) : v));

const zDuration = z.string(expecting('a duration like "30s"')).superRefine((v, ctx) => {
  const ns = reportParse(ctx, () => parseDuration(v));
  // Docker rejects anything between 0 ("use the default") and 1ms.
  if (ns !== undefined && ns > 0 && ns < 1e6) issue(ctx, 'must be 0 or at least 1ms');
});

const zHealthTest = z.union(
  [
    z.string().min(1, 'must not be empty'),
    z.array(element(isString, 'must be a string', 'string')).superRefine((test, ctx) => {
      const [kind] = test;
      if (kind === undefined || !HEALTH_TEST_KINDS.includes(kind)) {
        issue(ctx, 'must start with "NONE", "CMD" or "CMD-SHELL"', test.length === 0 ? [] : [0]);
      } else if (kind === 'CMD' && test.length < 2) {
        issue(ctx, '"CMD" needs a command after it');
      } else if (kind === 'CMD-SHELL' && test.length !== 2) {
        issue(ctx, '"CMD-SHELL" takes exactly one command string');
      } else if (kind === 'NONE' && test.length !== 1) {
        issue(ctx, '"NONE" takes no arguments');
      }
    }),
  ],
  expecting('a command string or a list like ["CMD", "curl", "-f", "http://localhost"]'),
);

const zHealthcheck = z
  .strictObject(
    {
      test: zHealthTest.optional(),
      interval: zDuration.optional(),
      timeout: zDuration.optional(),
      start_period: zDuration.optional(),
      retries: z.number(expecting('a number')).int('must be a whole number').min(0, 'must be 0 or more').optional(),
      disable: z.boolean(expecting('true or false')).optional(),
    },
    expecting('a map'),
  )
  .superRefine((h, ctx) => {
    if (h.test === undefined && h.disable !== true) issue(ctx, 'required (or set disable: true)', ['test']);
  })
  .transform(({ test, ...rest }): HealthcheckDefinition => {
    // compose allows `disable: true` alone; ["NONE"] is how Docker spells "no healthcheck".
    const normalized = test === undefined ? ['NONE'] : typeof test === 'string' ? ['CMD-SHELL', test] : test;
    return compact({ test: normalized, ...rest });
  });

export const zContainerDefinition = z
  .strictObject(
    {
      image: z
        .string(expecting('a string'))
        .min(1, 'must not be empty')
        .regex(/^\S*$/, 'must not contain whitespace'),
      container_name: z.string(expecting('a string')).regex(OBJECT_NAME_RE, NAME_RULES).optional(),
      command: zCommand.optional(),
      entrypoint: zCommand.optional(),
      environment: zEnvironment.optional(),
      ports: zPorts.optional(),
      volumes: zVolumes.optional(),
      depends_on: z
        .array(z.string(expecting('a service name')), expecting('a list of service names'))
        .superRefine((deps, ctx) => {
          deps.forEach((dep, i) => {
            if (deps.indexOf(dep) !== i) issue(ctx, `"${dep}" is listed twice`, [i]);
          });
        })
        .optional(),
      restart: z
        .string(expecting('a string'))
        .regex(
          /^(no|always|unless-stopped|on-failure(:\d+)?)$/,
          'must be "no", "always", "on-failure", "on-failure:N" or "unless-stopped"',
        )
        .optional(),
      labels: zLabels.optional(),
      healthcheck: zHealthcheck.optional(),
    },
    expecting('a map with at least an image'),
  )
  .transform((c): ContainerDefinition => compact(c));

const zServices = z
  .record(z.string(), zContainerDefinition, expecting('a map of service names to containers'))
  .superRefine(
    (services, ctx) => {
      if (!isRecord(services)) return;
      const keys = Object.keys(services);
      if (keys.length === 0) issue(ctx, 'define at least one service');
      for (const key of keys) {
        if (key.length > 63) issue(ctx, `service name "${key}" must be at most 63 characters`, [key]);
        else if (!OBJECT_NAME_RE.test(key)) issue(ctx, `service name "${key}" ${NAME_RULES}`, [key]);
      }
    },
    // Bad keys are worth reporting even while a container body is still incomplete.
    { when: () => true },
  );

/** Top-level `volumes:` is accepted so real compose files paste in, then dropped. */
const zTopLevelVolumes = z
  .record(z.string(), z.unknown(), expecting('a map of volume names'))
  .superRefine((volumes, ctx) => {
    for (const [name, options] of Object.entries(volumes)) {
      if (!OBJECT_NAME_RE.test(name)) {
        issue(ctx, `"${name}" is not a valid volume name: it ${NAME_RULES}`, [name]);
      } else if (!(options === null || (isRecord(options) && Object.keys(options).length === 0))) {
        issue(ctx, 'volume options are not supported; leave the value empty', [name]);
      }
    }
  });

export const zServiceDefinition = z
  .strictObject(
    {
      name: z
        .string(expecting('a string'))
        .max(63, 'must be at most 63 characters')
        .regex(PROJECT_NAME_RE, PROJECT_NAME_RULES),
      services: zServices,
      // Accepted for compatibility with real compose files; dropped from the output.
      version: z.union([z.string(), z.number()], expecting('a string')).optional(),
      volumes: zTopLevelVolumes.optional(),
    },
    expecting('a map with name and services'),
  )
  // Runs even when some container is invalid, so a cycle shows up while an image is still missing.
  .superRefine(
    (def, ctx) => {
      for (const p of findCrossServiceProblems(def)) issue(ctx, p.message, p.path);
    },
    { when: () => true },
  )
  .transform(({ name, services }): ServiceDefinition => ({ name, services }));

export type ServiceDefinitionInput = z.input<typeof zServiceDefinition>;
