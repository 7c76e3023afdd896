import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;
const docker = testDocker();

beforeAll(async () => ({ s, token, browser } = await startBrowserSuite()));
afterAll(() => stopBrowserSuite(s, browser));

const messages = (page: Page) => page.locator('.log-line .log-msg').allTextContents();
const ticks = async (page: Page) => (await messages(page)).map((m) => /^tick (\d+)$/.exec(m)?.[1]).filter(Boolean).map(Number);

async function exec(serviceId: string, key: string, cmd: string[]): Promise<void> {
  const [c] = await docker.listContainers({ filters: { label: [`io.capstan.service-id=${serviceId}`, `com.docker.compose.service=${key}`] } });
  const e = await docker.getContainer(c!.Id).exec({ Cmd: cmd });
  const stream = await e.start({});
  stream.resume();
  await new Promise((r) => stream.on('end', r));
}

describe('the logs view', () => {
  it('follows new lines live, pauses and resumes without losing or repeating any, filters, and toggles containers', async () => {
    const image = inject('testEnv').image;
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
      name: uniqueName('logs'),
      services: {
        // A JSON body is a compose document: `$$` is the shell's `$`, as in a compose file.
        tick: { image, command: ['sh', '-c', 'i=0; while true; do echo tick $$i; i=$$((i+1)); sleep 0.5; done'] },
        warn: { image, command: ['sh', '-c', 'while true; do echo "warning: disk" >&2; sleep 1; done'] },
      },
    });
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, `/services/${service.id}/logs`);
    await expect.poll(() => page.getByTestId('log-state').textContent()).toContain('Live');

    // A line written after the page opened appears without a reload.
    await expect.poll(async () => (await ticks(page)).length, { timeout: 20_000 }).toBeGreaterThan(0);
    const first = Math.max(...(await ticks(page)));
    await expect.poll(async () => Math.max(...(await ticks(page))), { timeout: 20_000 }).toBeGreaterThan(first);
    // stderr lines are marked as such.
    await expect.poll(() => page.locator('.log-line.stderr .log-msg').first().textContent(), { timeout: 20_000 }).toBe('warning: disk');
    expect(await page.locator('.log-line:not(.stderr) .log-msg').first().textContent()).toMatch(/^tick \d+$/);
    await screenshot(page, 'logs');

    // Pause stops the stream; resume fetches what was written meanwhile, each line once.
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByTestId('log-state').textContent()).toContain('Paused');
    const atPause = Math.max(...(await ticks(page)));
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(async () => Math.max(...(await ticks(page))), { timeout: 20_000 }).toBeGreaterThan(atPause + 2);
    const seen = await ticks(page);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const [lo, hi] = [Math.min(...seen), Math.max(...seen)];
    expect(seen.length).toBe(hi - lo + 1);

    // The text filter and the per-container toggle narrow what is shown.
    await page.getByPlaceholder('Filter lines').fill('WARNING');
    await expect.poll(async () => new Set(await messages(page))).toEqual(new Set(['warning: disk']));
    await page.getByPlaceholder('Filter lines').fill('');
    // Rows and toggles name containers by their compose key; the full name is the title.
    await page.getByRole('group', { name: 'Containers shown' }).getByLabel('warn', { exact: true }).uncheck();
    await expect.poll(async () => new Set(await page.locator('.log-line .log-ctr').allTextContents())).toEqual(new Set(['tick']));
    expect(await page.locator('.log-line .log-ctr').first().getAttribute('title')).toBe(`${service.name}-tick-1`);
    expect(await page.getByTestId('log-count').textContent()).toMatch(/of .* lines/);
    expect(errors).toEqual([]);
  });

  it('keeps 100,000 lines at most and renders only the visible rows', async () => {
    const image = inject('testEnv').image;
    // Says "waiting" until /go exists (so the test knows the stream is live), then writes 105,000 lines at once.
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
      name: uniqueName('flood'),
      services: { flood: { image, command: ['sh', '-c', 'while [ ! -f /go ]; do echo waiting; sleep 0.3; done; seq 1 105000; sleep 86400'] } },
    });
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, `/services/${service.id}/logs`);
    await expect.poll(async () => (await messages(page)).includes('waiting'), { timeout: 20_000 }).toBe(true);
    await exec(service.id, 'flood', ['touch', '/go']);

    const rows = page.locator('.vlist-row');
    await expect.poll(() => page.locator('.log-line .log-msg').last().textContent(), { timeout: 110_000, interval: 500 }).toBe('105000');
    expect(await page.getByTestId('log-count').textContent()).toMatch(/^100,000 lines · oldest [\d,]+ dropped$/);
    expect(await rows.count()).toBeLessThan(120);

    // The kept lines are the newest 100,000: the top one is at least the 5,001st number.
    // (Under such a burst the server may itself drop lines, and says so in a "[capstan]" line, so not exactly.)
    await page.locator('.vlist').evaluate((el) => (el.scrollTop = 0));
    await expect.poll(async () => Number(await page.locator('.log-line .log-msg').first().textContent())).toBeGreaterThanOrEqual(5001);
    expect(await rows.count()).toBeLessThan(120);
    await page.getByRole('button', { name: 'Jump to latest' }).click();
    await expect.poll(() => page.locator('.log-line .log-msg').last().textContent()).toBe('105000');
    await screenshot(page, 'logs-100k');
    expect(errors).toEqual([]);
  }, 150_000);
});
