import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, removeServiceAndWait, type TestServer } from '../helpers/server.js';

/**
 * The Engines page, the engine column and filter, and a move through the
 * dialog. The second engine is the shared test engine's socket added again
 * as a unix:// engine: a real engine of its own id, which this file may use
 * while another file stops the remote one.
 */
let s: TestServer;
let token: string;
let browser: Browser;
const local = testDocker();
const serviceName = uniqueName('e2eeng');
let serviceId = '';

beforeAll(async () => {
  ({ s, token, browser } = await startBrowserSuite());
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name: serviceName,
    services: { app: { image: inject('testEnv').image, command: ['sleep', '3600'], volumes: ['data:/data'] } },
    volumes: { data: {} },
  });
  serviceId = service.id;
}, 120_000);

afterAll(async () => {
  if (serviceId) await removeServiceAndWait(s, token, serviceId);
  await stopBrowserSuite(s, browser);
});

const socketUrl = () => inject('testEnv').dockerHost;
const unexpected = (errors: string[], ...allowed: number[]) => errors.filter((e) => !allowed.some((status) => e.includes(`status of ${status}`)));

async function addEngine(page: Page, name: string, url: string): Promise<void> {
  await page.getByRole('button', { name: 'Add engine' }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('URL', { exact: true }).fill(url);
}

describe('the Engines page', () => {
  it('tests and adds an engine, refuses an unreachable one in plain words, and lists each with its state and counts', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Engines' }).click();
    await page.getByRole('heading', { name: 'Engines' }).waitFor();
    const localRow = page.locator('tr[data-engine="local"]');
    await localRow.waitFor();
    expect(await localRow.textContent()).toContain('from DOCKER_HOST');
    expect(await localRow.getByTestId('engine-state-cell').textContent()).toContain('available');

    // Unreachable: the error says why, and nothing is saved.
    await addEngine(page, 'nowhere', 'tcp://127.0.0.1:1');
    await page.getByRole('button', { name: 'Save engine' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not reach the engine' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('ECONNREFUSED');
    expect((await s.request('GET', '/api/engines', { token })).json.map((e: { name: string }) => e.name)).not.toContain('nowhere');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await addEngine(page, 'second socket', socketUrl());
    await page.getByRole('button', { name: 'Test connection' }).click();
    const version = (await local.version()).Version;
    await page.getByTestId('engine-test-result').filter({ hasText: `Connected: Docker ${version}` }).waitFor();
    // The same socket again: allowed, and said, so the duplicate is on purpose.
    expect(await page.getByTestId('engine-test-result').getByTestId('engine-same-daemon').textContent()).toContain('same Docker daemon as local');
    await page.getByRole('button', { name: 'Save engine' }).click();
    const row = page.locator('tr[data-engine]:not([data-engine="local"])', { hasText: 'second socket' });
    await row.getByTestId('engine-state-cell').filter({ hasText: 'available' }).waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain(version);
    await row.getByTestId('engine-same-daemon').filter({ hasText: 'Same daemon as local' }).waitFor();
    await localRow.getByTestId('engine-same-daemon').filter({ hasText: 'Same daemon as second socket' }).waitFor();
    await screenshot(page, 'engines');
    expect(unexpected(errors, 400)).toEqual([]);
  });

  it('shows each service\'s engine, filters by engine, and moves a service after saying what stays behind', async () => {
    const engine = (await s.request('GET', '/api/engines', { token })).json.find((e: { name: string }) => e.name === 'second socket');
    expect(engine).toBeDefined();
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/');
    const mine = page.locator('tr', { hasText: serviceName });
    await mine.getByTestId('service-engine').filter({ hasText: 'local' }).waitFor();

    await page.getByLabel('Filter by engine').selectOption({ label: 'second socket' });
    await page.waitForURL(new RegExp(`engine=${engine.id}`));
    await mine.waitFor({ state: 'detached' });

    await page.goto(`${s.url}/services/${serviceId}`);
    await page.getByTestId('service-engine').filter({ hasText: 'local' }).waitFor();
    await page.getByRole('button', { name: 'Move to another engine…' }).click();
    const dialog = page.getByRole('dialog', { name: `Move ${serviceName} to another engine?` });
    await dialog.waitFor();
    await dialog.getByLabel('Target engine').selectOption({ label: 'second socket' });
    expect(await dialog.getByTestId('move-volumes-warning').textContent()).toContain('not carried over');
    await screenshot(page, 'engines-move');
    await dialog.getByRole('button', { name: 'Move service' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 60_000 });
    await page.getByTestId('service-engine').filter({ hasText: 'second socket' }).waitFor({ timeout: 30_000 });
    const moved = (await s.request('GET', `/api/services/${serviceId}`, { token })).json;
    expect(moved).toMatchObject({ engine_id: engine.id, status: 'running' });

    // An engine with a service cannot be removed; the page says why.
    await page.goto(`${s.url}/engines`);
    await page.getByRole('button', { name: 'Remove engine second socket' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove engine' }).click();
    await page.getByRole('alert').filter({ hasText: 'Engine has services' }).waitFor();
    expect(unexpected(errors, 409)).toEqual([]);
  });
});
