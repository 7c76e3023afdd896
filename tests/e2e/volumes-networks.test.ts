import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { deployAndWait, removeServiceAndWait, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;
const docker = testDocker();
const name = uniqueName('e2evol');
let serviceId = '';

beforeAll(async () => {
  ({ s, token, browser } = await startBrowserSuite());
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name,
    services: { a: { image: inject('testEnv').image, command: ['sleep', '86400'], volumes: ['data:/data'] } },
    volumes: { data: {} },
  });
  serviceId = service.id;
}, 120_000);

afterAll(async () => {
  if (serviceId) {
    await removeServiceAndWait(s, token, serviceId);
  }
  await stopBrowserSuite(s, browser);
});

describe('the volumes and networks page', () => {
  it("lists a service's volume with its service, removes an unused one after confirming, and refuses one in use in plain words", async () => {
    const unused = uniqueName('e2eloose');
    await docker.createVolume({ Name: unused });
    try {
      const { page, errors } = await openPage(browser);
      await logIn(page, s.url, '/');
      await page.getByRole('link', { name: 'Volumes & networks' }).click();
      await page.getByRole('heading', { name: 'Volumes and networks' }).waitFor();

      const mine = page.locator(`tr[data-volume="${name}_data"]`);
      await mine.waitFor();
      expect(await mine.getByRole('link', { name }).getAttribute('href')).toBe(`/services/${serviceId}`);
      expect(await mine.textContent()).toContain('Capstan');
      const network = page.locator(`tr[data-network="${name}_default"]`);
      await network.waitFor();
      expect(await network.getByRole('link', { name }).count()).toBe(1);
      // The engine's own networks are listed but offer no removal.
      expect(await page.locator('tr[data-network="bridge"]').getByRole('button').count()).toBe(0);

      const loose = page.locator(`tr[data-volume="${unused}"]`);
      expect(await loose.textContent()).toContain('Unused');
      expect(await loose.textContent()).toContain('Foreign');
      await screenshot(page, 'volumes');
      await loose.getByRole('button', { name: `Remove volume ${unused}` }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.textContent()).toContain(unused);
      await dialog.getByRole('button', { name: 'Remove volume' }).click();
      await expect.poll(() => loose.count()).toBe(0);
      expect(await volumeExists(docker, unused)).toBe(false);
      // The section's notice (the page-wide live region announces it too).
      expect(await page.locator('p.notice-ok').filter({ hasText: `Removed volume ${unused}.` }).count()).toBe(1);

      await mine.getByRole('button', { name: `Remove volume ${name}_data` }).click();
      expect(await dialog.textContent()).toMatch(/in use right now/);
      await dialog.getByRole('button', { name: 'Remove volume' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'Volume in use' });
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(new RegExp(`Volume in use: volume ${name}_data is used by service ${name} \\(container [^)]+\\); remove those containers first`));
      expect(await volumeExists(docker, `${name}_data`)).toBe(true);
      expect(await mine.count()).toBe(1);
      expect(errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    } finally {
      await docker.getVolume(unused).remove().catch(() => undefined);
    }
  });

  it('follows the engine: a service deployed while the page is open shows its volume and users without a reload', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/volumes');
    await page.locator(`tr[data-volume="${name}_data"]`).waitFor();
    const later = uniqueName('e2elater');
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
      name: later,
      services: { b: { image: inject('testEnv').image, command: ['sleep', '86400'], volumes: ['cache:/cache'] } },
      volumes: { cache: {} },
    });
    try {
      const row = page.locator(`tr[data-volume="${later}_cache"]`);
      await row.waitFor();
      await row.getByRole('link', { name: later }).waitFor();
      await page.locator(`tr[data-network="${later}_default"]`).getByRole('link', { name: later }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await s.request('DELETE', `/api/services/${service.id}?mode=hard`, { token });
    }
    // Its hard delete removes the containers, then the volume and the network: the rows go by themselves.
    await page.locator(`tr[data-network="${later}_default"]`).waitFor({ state: 'detached' });
  });
});
