import { createConnection, createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, logIn, openPage, screenshot } from '../helpers/browser.js';
import { uniqueName } from '../helpers/engine.js';
import { joinSockets } from '../helpers/join.js';
import { deployAndWait, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * A unix-socket door in front of the test engine that can be shut and opened
 * again: from Capstan's side the engine goes away and comes back, while the
 * engine itself (shared with other tests) keeps running.
 */
async function engineDoor(target: string) {
  const socketPath = path.join(os.tmpdir(), `capstan-door-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
  let shut = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (shut) return void client.destroy();
    const upstream = createConnection(new URL(target).pathname);
    open.add(client);
    joinSockets(client, upstream, () => open.delete(client));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    dockerHost: `unix://${socketPath}`,
    shut() {
      shut = true;
      for (const s of open) s.destroy();
    },
    reopen() {
      shut = false;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let door: Awaited<ReturnType<typeof engineDoor>>;
let s: TestServer;
let token: string;
let browser: Browser;

beforeAll(async () => {
  door = await engineDoor(inject('testEnv').dockerHost);
  s = await startTestServer({ DOCKER_HOST: door.dockerHost });
  token = await s.login();
  browser = await launchBrowser(s.url);
});
afterAll(async () => {
  await browser?.close();
  await s?.dispose();
  await door?.close();
});

describe('when the engine goes away', () => {
  it('says so in plain words with a retry, and recovers by itself when it is back', async () => {
    const name = uniqueName('outage');
    await deployAndWait(s, token, 'POST', '/api/services', { name, services: { app: { image: inject('testEnv').image, command: ['sleep', '86400'] } } });
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/images');
    await page.locator('tr[data-image]').first().waitFor();

    door.shut();
    const banner = page.getByRole('alert').filter({ hasText: 'The Docker engine is unavailable' });
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.getByRole('button', { name: 'Retry' }).count()).toBe(1);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await expect.poll(() => page.getByTestId('engine-state').textContent()).toContain('Down');

    // A page that needs the engine explains why it has nothing to show, and offers a retry.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
    const failure = page.getByRole('alert').filter({ hasText: 'Docker engine unavailable' }).filter({ hasNotText: 'Capstan keeps trying' });
    await failure.waitFor({ timeout: 30_000 });
    expect(await failure.getByRole('button', { name: 'Retry' }).count()).toBe(1);
    await screenshot(page, 'engine-down');

    // Back: the banner goes, and the page fetches again without a click.
    door.reopen();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await page.locator('tr[data-image]').first().waitFor({ timeout: 30_000 });
    expect(await failure.count()).toBe(0);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await expect.poll(() => page.getByTestId('engine-state').textContent()).toContain('Up');
    await expect.poll(() => page.locator(`tr[data-service="${name}"] [data-status]`).getAttribute('data-status')).toBe('running');
    // The failed fetches logged their 503s; nothing else went wrong.
    expect(errors.filter((e) => !/status of 503/.test(e))).toEqual([]);
  });
});
