import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { composeDown, composeUp, dockerCompose, type ComposeRun } from '../helpers/compose-oracle.js';
import { inspect, projectContainers, testDocker, uniqueName } from '../helpers/engine.js';
import { removeServiceAndWait, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;
const docker = testDocker();
const dir = mkdtempSync(join(tmpdir(), 'capstan-adopt-'));
/** Two projects started by the real docker-compose, as a README's `docker compose up -d` would. */
const kept: ComposeRun = { project: uniqueName('e2eadopt'), dir, dockerHost: inject('testEnv').dockerHost };
const gone: ComposeRun = { ...kept, project: uniqueName('e2egone') };
let serviceId = '';

beforeAll(async () => {
  const image = inject('testEnv').image;
  writeFileSync(
    join(dir, 'compose.yaml'),
    `services:\n  cache:\n    image: ${image}\n    command: ["sleep", "86400"]\n  web:\n    image: ${image}\n    command: ["sleep", "86400"]\n    depends_on: [cache]\n    environment:\n      MODE: legacy\n`,
  );
  await composeUp(docker, kept, [image]);
  await composeUp(docker, gone, [image]);
  ({ s, token, browser } = await startBrowserSuite());
}, 180_000);

afterAll(async () => {
  if (serviceId) await removeServiceAndWait(s, token, serviceId);
  await composeDown(kept).catch(() => {});
  await composeDown(gone).catch(() => {});
  await stopBrowserSuite(s, browser);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('adopting a running compose project', () => {
  it('lists what docker-compose started, adopts one without restarting it, and shows it as a running service', async () => {
    const before = new Map((await projectContainers(docker, kept.project)).map((c) => [c.Id, c]));
    expect(before.size).toBe(2);
    const startedAt = await Promise.all([...before.keys()].map(async (id) => (await inspect(docker, id)).State.StartedAt));

    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/');
    await page.getByRole('link', { name: 'Adopt running project' }).click();
    await page.getByRole('heading', { name: 'Adopt a running project' }).waitFor();
    const row = page.locator(`tr[data-project="${kept.project}"]`);
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    expect(text).toContain(`${kept.project}_cache_1`);
    expect(text).toContain(`${kept.project}_web_1`);
    expect(text).toContain('running');
    await screenshot(page, 'adopt-list');

    await row.getByRole('button', { name: `Adopt ${kept.project}` }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toMatch(/2 container\(s\).*Nothing is restarted now/s);
    await dialog.getByRole('button', { name: 'Adopt', exact: true }).click();

    await page.waitForURL((url) => /^\/services\/[^/]+$/.test(url.pathname) && url.pathname !== '/services/adopt');
    serviceId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByRole('heading', { name: kept.project }).waitFor();
    await expect.poll(() => page.getByTestId('service-status').textContent(), { timeout: 30_000 }).toBe('running');
    await expect.poll(() => page.locator('tr[data-container] [data-status="running"]').count()).toBe(2);
    const service = await s.request('GET', `/api/services/${serviceId}`, { token });
    expect(service.json).toMatchObject({ name: kept.project, adopted: true, engine_id: 'local' });
    expect(Object.keys(service.json.definition.services).sort()).toEqual(['cache', 'web']);
    expect(service.json.definition.services.web.environment).toMatchObject({ MODE: 'legacy' });

    // The very containers docker-compose made, never restarted.
    const after = await projectContainers(docker, kept.project);
    expect(after.map((c) => c.Id).sort()).toEqual([...before.keys()].sort());
    expect(await Promise.all([...before.keys()].map(async (id) => (await inspect(docker, id)).State.StartedAt))).toEqual(startedAt);
    expect(errors).toEqual([]);
  });

  it('says in plain words that a project went away before it was adopted, and lists it no more', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/services/adopt');
    const row = page.locator(`tr[data-project="${gone.project}"]`);
    await row.waitFor();
    // Adopted already: no longer offered.
    expect(await page.locator(`tr[data-project="${kept.project}"]`).count()).toBe(0);
    await row.getByRole('button', { name: `Adopt ${gone.project}` }).click();
    await dockerCompose(gone, ['down', '-t', '1']);
    await page.getByRole('dialog').getByRole('button', { name: 'Adopt', exact: true }).click();

    await page.getByRole('alert').getByText(new RegExp(`Compose project not found: project: no unmanaged containers labelled with project "${gone.project}"`)).waitFor();
    await row.waitFor({ state: 'detached' });
    expect(new URL(page.url()).pathname).toBe('/services/adopt');
    expect((await s.request('GET', '/api/services', { token })).json.some((x: { name: string }) => x.name === gone.project)).toBe(false);
    // The refused adoption itself is the one failed request.
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  });
});
