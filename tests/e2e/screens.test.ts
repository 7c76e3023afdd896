import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP, horizontalOverflow, launchBrowser, logIn, openPage, PHONE, screenshot } from '../helpers/browser.js';
import { freePort, uniqueName } from '../helpers/engine.js';
import { deployAndWait, startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;
let webId: string;

/** Controls without a name are invisible to a screen reader: none may be left. */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const named = (el: Element) => {
      const text = (el.getAttribute('aria-label') ?? '') + (el.getAttribute('title') ?? '');
      const labelledBy = el.getAttribute('aria-labelledby');
      const labels = (el as HTMLInputElement).labels;
      return Boolean(text.trim() || (labelledBy && document.getElementById(labelledBy)) || (labels && labels.length > 0) || (el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent?.trim() : ''));
    };
    return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
      .filter((el) => !named(el))
      .map((el) => el.outerHTML.slice(0, 120));
  });
}

beforeAll(async () => {
  s = await startTestServer();
  token = await s.login();
  browser = await launchBrowser(s.url);
  const image = inject('testEnv').image;
  const web = await deployAndWait(s, token, 'POST', '/api/services', {
    name: uniqueName('shop'),
    services: {
      db: { image, command: ['sh', '-c', 'while true; do echo "db: checkpoint complete"; sleep 1; done'], environment: { POSTGRES_PASSWORD: 'secret' }, volumes: ['dbdata:/data'] },
      web: { image, command: ['sh', '-c', 'while true; do echo "GET / 200"; echo "warn: slow request" >&2; sleep 1; done'], ports: [`127.0.0.1:${await freePort()}:80`], depends_on: ['db'] },
    },
  });
  webId = web.service.id;
  const stopped = await deployAndWait(s, token, 'POST', '/api/services', { name: uniqueName('cron'), services: { job: { image, command: ['sleep', '86400'] } } });
  await s.request('POST', `/api/services/${stopped.service.id}/stop`, { token });
  await deployAndWait(s, token, 'POST', '/api/services', {
    name: uniqueName('broken'),
    services: { app: { image: `${inject('testEnv').registry}/capstan/does-not-exist:1` } },
  });
  await s.request('POST', '/api/schedules', { token, body: { service_id: webId, frequency: 'weekly', day_of_week: 'Sunday', time_of_day: '03:00', timezone: 'America/New_York' } });
});
afterAll(async () => {
  await browser?.close();
  await s?.dispose();
});

/** Each main page and what shows it is ready. */
const pages: [string, () => string, (p: Page) => Promise<unknown>][] = [
  ['services', () => '/', (p) => p.locator('tr[data-service]').nth(2).waitFor()],
  ['new-service', () => '/services/new', (p) => p.getByTestId('definition-valid').waitFor()],
  ['service', () => `/services/${webId}`, (p) => p.locator('tr[data-container]').nth(1).waitFor()],
  ['logs', () => `/services/${webId}/logs`, (p) => p.locator('.log-line.stderr').first().waitFor()],
  ['definition', () => `/services/${webId}/definition`, (p) => p.getByTestId('definition-valid').waitFor()],
  ['environment', () => `/services/${webId}/environment`, (p) => p.locator('.env-row').first().waitFor()],
  ['files', () => `/services/${webId}/files`, (p) => p.locator('tr[data-file]').first().waitFor()],
  ['deployments', () => `/services/${webId}/deployments`, (p) => p.locator('.deployments li').first().waitFor()],
  ['adopt', () => '/services/adopt', (p) => p.locator('table[aria-label="projects"] tbody tr').first().waitFor()],
  ['images', () => '/images', (p) => p.locator('tr[data-image]').first().waitFor()],
  ['schedules', () => '/schedules', (p) => p.locator('li[data-schedule]').first().waitFor()],
  ['audit', () => '/audit', (p) => p.getByText('Chain intact').waitFor()],
];

describe('every main page, at 1280 px and on a phone, light and dark', () => {
  for (const [width, viewport] of [['1280', DESKTOP], ['390', PHONE]] as const) {
    for (const colorScheme of ['light', 'dark'] as const) {
      it(`${width} px, ${colorScheme}: nothing overflows sideways, every control has a name`, async () => {
        const { page, errors } = await openPage(browser, { viewport, colorScheme });
        await page.goto(`${s.url}/login`);
        await page.getByRole('button', { name: 'Sign in' }).waitFor();
        expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
        await screenshot(page, `login-${width}-${colorScheme}`);
        await logIn(page, s.url, '/');
        for (const [name, url, ready] of pages) {
          await page.goto(`${s.url}${url()}`);
          await ready(page).catch((err: Error) => {
            throw new Error(`${name} (${url()}) did not get ready: ${err.message}`);
          });
          expect(await horizontalOverflow(page), `${name} overflows`).toBeLessThanOrEqual(0);
          expect(await unnamedControls(page), `${name} has unnamed controls`).toEqual([]);
          expect(await page.locator('h1').count(), `${name} has one h1`).toBe(1);
          await screenshot(page, `${name}-${width}-${colorScheme}`);
          // What a phone shows first, at its real size.
          if (viewport === PHONE) await screenshot(page, `${name}-${width}-${colorScheme}-top`, { fullPage: false });
        }
        expect(errors).toEqual([]);
      });
    }
  }
});
