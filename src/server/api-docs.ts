import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import sirv from 'sirv';

/**
 * The API reference page: Swagger UI from the bundled swagger-ui-dist package
 * (no CDN), pointed at /api/openapi.json. Everything is same-origin files, so
 * the strict CSP holds.
 */
export const DOCS_PATH = '/api/docs';

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Capstan API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/init.js"></script>
</body>
</html>`;

const init = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
});`;

export function createApiDocsHandler() {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const assets = sirv(dir, { dev: false, etag: true, maxAge: 3600 });

  return (req: IncomingMessage, res: ServerResponse, pathname: string, notFound: () => void) => {
    if (pathname === DOCS_PATH || pathname === `${DOCS_PATH}/`) {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(page);
      return;
    }
    if (pathname === `${DOCS_PATH}/init.js`) {
      res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
      res.end(init);
      return;
    }
    const rest = pathname.slice(DOCS_PATH.length);
    if (!/^\/swagger-ui(-bundle\.js|\.css)$/.test(rest)) return notFound();
    req.url = rest;
    assets(req, res, notFound);
  };
}
