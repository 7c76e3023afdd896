import { z } from 'zod';

/** The engine from DOCKER_HOST: always there, never edited or removed here. */
export const LOCAL_ENGINE_ID = 'local';

export const zEngineId = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/, 'an engine id (lowercase letters, digits, - and _)');

const pem = (what: string) =>
  z
    .string()
    .max(64 * 1024, 'at most 64 KiB')
    .refine((s) => /-----BEGIN [A-Z0-9 ]+-----/.test(s), `a PEM text (${what}), as in the file: -----BEGIN ...`);

/** What the docker CLI's DOCKER_CERT_PATH holds: ca.pem, cert.pem and key.pem, as text. */
export const zEngineTls = z.strictObject({
  ca: pem('ca.pem: the CA that signed the engine\'s certificate'),
  cert: pem('cert.pem: the client certificate'),
  key: pem('key.pem: the client key'),
});

export const zEngineSsh = z.strictObject({
  private_key: pem('an OpenSSH or PEM private key').meta({ description: 'The private key Capstan logs in with (key-based only)' }),
  passphrase: z.string().max(1024).optional().meta({ description: 'The key\'s passphrase, if it has one' }),
  host_key: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'a host key fingerprint as ssh-keygen -l prints it: SHA256:...')
    .optional()
    .meta({ description: 'The host key to expect; without it the key seen at the first connection is kept and required from then on' }),
});

export const zEngineName = z
  .string()
  .trim()
  .min(1, 'a name is required')
  .max(64, 'at most 64 characters')
  .regex(/^[\w.@:+ -]+$/, 'letters, digits, spaces and . _ - @ : + only');

export const zEngineUrl = z
  .string()
  .trim()
  .min(1, 'a URL is required')
  .max(2048)
  .meta({ description: 'unix:///path/to/docker.sock, tcp://host:port (with `tls` for TLS) or ssh://user@host[:port]', example: 'tcp://10.0.0.5:2376' });

export const zEngineCreate = z.strictObject({
  name: zEngineName,
  url: zEngineUrl,
  tls: zEngineTls.optional().meta({ description: 'For tcp://: the CA, client certificate and key; without it the connection is plain HTTP' }),
  ssh: zEngineSsh.optional().meta({ description: 'For ssh://: the key to log in with' }),
});
export type EngineCreate = z.infer<typeof zEngineCreate>;

/** PUT: what is given replaces; `tls`/`ssh` left out keep the sealed ones, `null` drops them. */
export const zEngineUpdate = z.strictObject({
  id: zEngineId,
  name: zEngineName.optional(),
  url: zEngineUrl.optional(),
  tls: zEngineTls.nullable().optional(),
  ssh: zEngineSsh.nullable().optional(),
});
export type EngineUpdate = z.infer<typeof zEngineUpdate>;

export const zEngineObject = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string().meta({ description: 'Without any password it may carry' }),
  kind: z.enum(['unix', 'tcp', 'ssh']),
  builtin: z.boolean().meta({ description: 'The engine from DOCKER_HOST (id `local`): changed only by the configuration' }),
  tls: z.boolean().meta({ description: 'TLS credentials are stored (never returned)' }),
  ssh_host_key: z.string().nullable().meta({ description: 'The ssh host key fingerprint Capstan requires' }),
  available: z.boolean(),
  error: z.string().nullable().meta({ description: 'Why the engine does not answer; null while it does' }),
  version: z.string().nullable(),
  api_version: z.string().nullable(),
  same_daemon_as: z.array(z.string()).meta({ description: 'The names of the other engines that reach the same Docker daemon (the same /info ID); empty when none, or while it does not answer' }),
  services: z.number().int().meta({ description: 'Services on this engine' }),
  containers: z.number().int().meta({ description: 'Compose containers on this engine' }),
  running: z.number().int().meta({ description: 'Of those, running' }),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type EngineObject = z.infer<typeof zEngineObject>;

/** A connection test of what would be saved: what the engine said, or why it could not be reached. */
export const zEngineTestResult = z.object({
  ok: z.boolean(),
  version: z.string().nullable(),
  api_version: z.string().nullable(),
  ssh_host_key: z.string().nullable(),
  same_daemon_as: z.array(z.string()).meta({ description: 'The engines already added that reach this same Docker daemon (allowed; said so the duplicate is on purpose)' }),
  error: z.string().nullable(),
  details: z.string().nullable(),
});
export type EngineTestResult = z.infer<typeof zEngineTestResult>;

export const zMoveInput = z.object({
  id: z.string().min(1).max(64),
  engine_id: zEngineId.meta({ description: 'The engine to move the service to' }),
});
