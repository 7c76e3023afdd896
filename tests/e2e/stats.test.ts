import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { uniqueName } from '../helpers/engine.js';
import { deployAndWait, removeServiceAndWait, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;
const name = uniqueName('stx-e2e');
let serviceId = '';
let container = '';

/** "99.8%", "100%" (a locale may write a comma) as a number. */
const percent = (text: string | null) => Number((/([\d.,]+)%/.exec(text ?? '')?.[1] ?? 'NaN').replace(',', '.'));
/** Line segments drawn in a sparkline path ("M x,y L x,y ..."). */
const segments = (d: string | null) => (d ?? '').split('L').length - 1;

beforeAll(async () => {
  ({ s, token, browser } = await startBrowserSuite());
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name,
    services: { spin: { image: inject('testEnv').image, command: ['sh', '-c', 'while :; do :; done'], mem_limit: '64m' } },
  });
  serviceId = service.id;
  container = service.containers[0].name;
}, 120_000);

afterAll(async () => {
  if (serviceId) {
    await removeServiceAndWait(s, token, serviceId);
  }
  await stopBrowserSuite(s, browser);
});

describe('resource use in the dashboard', () => {
  it('the Stats tab shows the busy container\'s figures and draws its sparklines', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, `/services/${serviceId}`);
    await page.getByRole('link', { name: 'Stats' }).click();
    const card = page.locator(`article[data-container="${container}"]`);
    await card.waitFor();
    await expect.poll(async () => percent(await card.getByTestId('stat-cpu').textContent()), { timeout: 30_000 }).toBeGreaterThan(0);
    // 64 MiB, in the dashboard's decimal units.
    expect(await card.getByTestId('stat-memory-limit').textContent()).toMatch(/of 67[.,]1 MB/);
    expect(await card.getByTestId('stat-memory').textContent()).toMatch(/^\d[\d.,]* (B|KB|MB)$/);
    expect(Number(await card.getByTestId('stat-pids').textContent())).toBeGreaterThanOrEqual(1);
    expect(await card.getByTestId('stat-net').textContent()).toMatch(/↓ .*\/s ↑ .*\/s/);
    // Five charts, and the CPU one a real line of several samples (the engine sends one a second).
    expect(await card.getByTestId('sparkline').count()).toBe(5);
    const cpuLine = card.getByRole('img', { name: `CPU of ${container}` }).locator('path');
    await expect.poll(async () => segments(await cpuLine.getAttribute('d')), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const memoryLine = card.getByRole('img', { name: `Memory of ${container}` }).locator('path');
    expect(segments(await memoryLine.getAttribute('d'))).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'stats');
    expect(errors).toEqual([]);
  });

  it('the services list shows CPU and memory for the running service', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/');
    const row = page.locator(`tr[data-service="${name}"]`);
    await row.waitFor();
    await expect.poll(async () => percent(await row.getByTestId('service-cpu').textContent()), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await row.getByTestId('service-memory').textContent()).toMatch(/^\d[\d.,]* (B|KB|MB)$/);
    expect(errors).toEqual([]);
  });
});
