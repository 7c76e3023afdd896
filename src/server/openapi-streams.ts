// What the OpenAPI document says about the routes served beside
// trpc-to-openapi that answer text/event-stream, and the apps API's own
// error body and token form.

type Json = Record<string, unknown>;

export const APPOS_ERROR_SCHEMA: Json = {
  type: 'object',
  required: ['code', 'message', 'data'],
  description: 'Every error answer on /api/appos/* has this shape',
  properties: {
    code: { type: 'integer', description: 'The HTTP status', example: 404 },
    message: { type: 'string', description: 'Short, user-facing message', example: 'Service not found' },
    data: {
      type: 'object',
      required: ['code'],
      properties: {
        code: { type: 'string', description: 'Machine-readable code, as on the rest of the API', example: 'NOT_FOUND' },
        details: { type: 'string', description: 'Technical detail; for bad input it names the field' },
      },
    },
  },
};

/** `Authorization: <token>` (no scheme), accepted on /api/appos/* and /api/events. */
export const BARE_TOKEN_SCHEME = { type: 'apiKey' as const, in: 'header' as const, name: 'Authorization', description: 'The token from POST /auth/login, without "Bearer "' };

const EVENTS_DESCRIPTION = [
  'Server-sent events for everything that changes. Every event has an `id:`; reconnect with `Last-Event-ID` (or `?last_event_id=`) to get what was missed from a bounded backlog, or a `snapshot` event when that is gone.',
  '',
  '- `event: snapshot` — `{"engine":{"available"},"services":[{"id","name","status","containers"}],"deployments":[active deployment objects]}`: the state now (first event of a fresh connection).',
  '- `event: status` — `{"id","name","status","containers"}` when a service\'s status changes; `status` is `removed` when it was deleted.',
  '- `event: deployment` — the deployment object, on every step of every deployment.',
  '- `event: engine` — `{"available"}` when the Docker engine goes away or comes back.',
  '',
  'A comment line (`: ping`) at least every 30 s. A client that stops reading is disconnected once about 1 MiB is waiting for it; it resumes with its last event id.',
].join('\n');

export function eventsPath(errorContent: Json): Json {
  return {
    get: {
      tags: ['events'],
      summary: 'Every status, deployment and engine change, live (text/event-stream)',
      description: EVENTS_DESCRIPTION,
      security: [{ bearerAuth: [] }, { bareToken: [] }],
      parameters: [
        { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' }, description: 'The id of the last event received: resume after it' },
        { name: 'last_event_id', in: 'query', required: false, schema: { type: 'string' }, description: 'The same, for clients that cannot set headers' },
      ],
      responses: {
        '200': { description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        '401': { description: 'No or invalid session', content: errorContent },
        '500': { description: 'Internal server error', content: errorContent },
      },
    },
  };
}

/** GET (WebSocket) /api/services/{id}/exec: the terminal (src/server/terminal-route.ts). */
export function execPath(errorContent: Json): Json {
  return {
    get: {
      tags: ['services'],
      summary: 'A terminal in one of the service\'s containers (WebSocket)',
      description: [
        'Open as a WebSocket (`ws://` / `wss://`, same origin for browsers). Binary frames are the terminal\'s bytes both ways; a text frame `{"resize":[cols,rows]}` (whole numbers 1-1000) resizes the TTY.',
        'Closes with 1000 and `exit code N` when the command ends, 1000 `idle` after 15 minutes without input, 1008 after a bad control frame (an error frame comes first), 1009 for a frame over 64 KiB, 1001 when the server stops. The process and its children are ended when the socket closes.',
        'A plain GET (no Upgrade) makes the same checks and starts nothing: 426 when the terminal would open, or the refusal the upgrade would get.',
      ].join('\n\n'),
      security: [{ bearerAuth: [] }],
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'container', in: 'query', required: false, schema: { type: 'string' }, description: 'Container name or compose service key; default the first running one' },
        { name: 'cmd', in: 'query', required: false, schema: { type: 'string', maxLength: 1024 }, description: 'The command, split on whitespace (no shell quoting); default `sh`' },
      ],
      responses: {
        '101': { description: 'Switching protocols: the terminal is open' },
        '400': { description: 'Empty, over-long or control-character command; not a WebSocket handshake', content: errorContent },
        '401': { description: 'No or invalid session', content: errorContent },
        '403': { description: 'Opened from another Origin', content: errorContent },
        '404': { description: 'Unknown service or container', content: errorContent },
        '409': { description: 'The container is not running', content: errorContent },
        '426': { description: 'A plain GET: the terminal would open as a WebSocket', content: errorContent },
      },
    },
  };
}

/** POST /api/hooks/{secret}: a deploy webhook (src/server/hook-route.ts); the secret in the path is the credential. */
export function hookPath(errorContent: Json): Json {
  return {
    post: {
      tags: ['webhooks'],
      summary: "Trigger a deploy webhook: queue its service's redeploy or update",
      description:
        'No session: the secret in the URL is the credential (from POST /api/services/{id}/webhooks). When the hook has a signing secret, `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` is required, as GitHub and Gitea send it. At most 6 calls a minute per hook. The answer takes at least 250 ms, whether the secret is known or not.',
      security: [],
      parameters: [
        { name: 'secret', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'X-Hub-Signature-256', in: 'header', required: false, schema: { type: 'string' }, description: 'sha256=<hex>, when the hook has a signing secret' },
      ],
      requestBody: { required: false, content: { 'application/json': { schema: {} }, 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      responses: {
        '202': { description: 'Queued', content: { 'application/json': { schema: { type: 'object', required: ['deployment_id'], properties: { deployment_id: { type: 'string' } } } } } },
        '401': { description: 'Missing or wrong signature: nothing queued', content: errorContent },
        '404': { description: 'No webhook with this URL', content: errorContent },
        '409': { description: 'The service is being deleted', content: errorContent },
        '413': { description: 'Body over 1 MiB', content: errorContent },
        '429': { description: 'Over the rate limit (Retry-After)', content: errorContent },
      },
    },
  };
}

/** follow=1 on the apps API's logs: the same lines as events (`event: log`, data a log line, id the resume position). */
export const APP_LOG_STREAM: Json = {
  schema: { type: 'string', description: '`event: log` per line, data {"container","stream","timestamp","message"}; reconnect with Last-Event-ID to resume' },
};
