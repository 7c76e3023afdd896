import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { inspect, testDocker, uniqueName } from '../helpers/engine.js';
import { registryImages } from '../helpers/registry-images.js';
import { deployAndWait, removeServiceAndWait, type TestServer } from '../helpers/server.js';

// A repository of this file's own on the local registry (never capstan/busybox).
const docker = testDocker();
const repo = `${inject('testEnv').registry}/${uniqueName('updates-test-e2e')}`;
const ref = `${repo}:1`;
const name = uniqueName('e2eupd');
const images = registryImages(docker, repo, inject('testEnv').image);
const { build, push } = images;
let s: TestServer;
let token: string;
let browser: Browser;
let serviceId = '';
let v1 = '';
let v2 = '';

beforeAll(async () => {
  v1 = await build('v1');
  await push(v1);
  ({ s, token, browser } = await startBrowserSuite());
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', { name, services: { app: { image: ref, command: ['sleep', '86400'] } } });
  serviceId = service.id;
  // v2 reaches the registry under the same tag; the engine's tag goes back to v1, as if another machine had pushed it.
  v2 = await build('v2');
  await push(v2);
  await docker.getImage(v1).tag({ repo, tag: '1' });
}, 120_000);

afterAll(async () => {
  if (serviceId) {
    await removeServiceAndWait(s, token, serviceId);
  }
  await stopBrowserSuite(s, browser);
  await docker.getImage(ref).remove().catch(() => undefined);
  await images.cleanup();
});

describe('update badges in the dashboard', () => {
  it('a check shows "Update available" in the list and on the service page before any pull; Update clears it', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/images');
    await page.getByRole('heading', { name: 'Images' }).waitFor();
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page.getByTestId('update-check-status').filter({ hasText: '1 image with an update' }).waitFor();
    expect(await page.getByTestId('update-check-status').textContent()).toMatch(/Last checked/);
    await screenshot(page, 'images-update-check', { fullPage: false });

    await page.getByRole('link', { name: 'Services', exact: true }).first().click();
    const row = page.locator(`tr[data-service="${name}"]`);
    await row.getByTestId('update-badge').waitFor();
    expect(await row.getByTestId('update-badge').textContent()).toBe('Update available');
    expect(await row.getByTestId('update-badge').getAttribute('title')).toContain(ref);
    // Nothing was pulled: the engine still has v1 under the tag.
    expect((await docker.getImage(ref).inspect()).Id).toBe(v1);

    await row.getByRole('link', { name }).click();
    const header = page.locator('.page-head');
    await header.getByTestId('update-badge').waitFor();
    await screenshot(page, 'service-update-available');
    await header.getByRole('button', { name: 'Update', exact: true }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain(ref);
    await dialog.getByRole('button', { name: 'Update', exact: true }).click();
    await page.getByTestId('deployment-progress').filter({ hasText: 'recreate' }).waitFor({ timeout: 60_000 });
    await header.getByTestId('update-badge').waitFor({ state: 'detached', timeout: 30_000 });
    const container = (await s.request('GET', `/api/services/${serviceId}`, { token })).json.containers[0].container_id;
    expect((await inspect(docker, container)).Image).toBe(v2);

    await page.getByRole('link', { name: 'Services', exact: true }).first().click();
    await page.locator(`tr[data-service="${name}"]`).waitFor();
    expect(await page.locator(`tr[data-service="${name}"]`).getByTestId('update-badge').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
