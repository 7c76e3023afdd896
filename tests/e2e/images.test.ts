import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { type TestServer } from '../helpers/server.js';

let s: TestServer;
let browser: Browser;
const docker = testDocker();

beforeAll(async () => ({ s, browser } = await startBrowserSuite()));
afterAll(() => stopBrowserSuite(s, browser));

async function follow(stream: NodeJS.ReadableStream): Promise<void> {
  const events = await new Promise<{ error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => (err ? reject(err) : resolve(out))),
  );
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(failed.error);
}

/**
 * An image of its own in the local registry (a fresh random layer on the test
 * image), absent from the engine: a pull has a layer to download, and no other
 * test shares it.
 */
async function pushedButAbsent(): Promise<{ repo: string; tag: string }> {
  const repo = `${inject('testEnv').registry}/capstan/${uniqueName('e2e')}`;
  const tag = '1';
  const c = await docker.createContainer({ Image: inject('testEnv').image, Cmd: ['sh', '-c', 'dd if=/dev/urandom of=/random bs=1k count=256 2>/dev/null'] });
  try {
    await c.start();
    await c.wait();
    await c.commit({ repo, tag });
  } finally {
    await c.remove({ force: true });
  }
  await follow((await docker.getImage(`${repo}:${tag}`).push({ tag })) as NodeJS.ReadableStream);
  await docker.getImage(`${repo}:${tag}`).remove();
  return { repo, tag };
}

const onEngine = (ref: string) =>
  docker
    .getImage(ref)
    .inspect()
    .then(() => true)
    .catch(() => false);

describe('the images page', () => {
  it('pulls an image with a progress bar per layer, lists it, and removes it', async () => {
    const { repo, tag } = await pushedButAbsent();
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/images');
    await page.getByRole('table').waitFor();

    // Typed the way the docker CLI takes it: the tag is split off.
    await page.getByLabel('Image', { exact: true }).fill(`${repo}:${tag}`);
    await page.getByRole('button', { name: 'Pull' }).click();
    await expect.poll(() => page.getByTestId('pull-done').textContent(), { timeout: 60_000 }).toContain(`${repo}:${tag} — Downloaded newer image`);
    expect(await page.getByTestId('pull-done').textContent()).toMatch(/sha256:[0-9a-f]{64}/);
    // Every layer ended at 100%, and at least one was really downloaded (not already there).
    const layers = page.locator('.layer [role="progressbar"]');
    expect(await layers.count()).toBeGreaterThan(0);
    expect(new Set(await layers.evaluateAll((els) => els.map((e) => e.getAttribute('aria-valuenow'))))).toEqual(new Set(['100']));
    expect(await page.locator('.layer-status').allTextContents()).toContain('Pull complete');
    expect(await onEngine(`${repo}:${tag}`)).toBe(true);

    const row = page.locator(`tr[data-image="${repo}:${tag}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Unused');
    await screenshot(page, 'images');

    await row.getByRole('button', { name: `Remove ${repo}:${tag}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove image' }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect(await onEngine(`${repo}:${tag}`)).toBe(false);
    expect(errors).toEqual([]);
  });

  it('says in plain words when a pull fails, and does not retry it by itself', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/images');
    await page.getByLabel('Image', { exact: true }).fill(`${inject('testEnv').registry}/capstan/${uniqueName('missing')}`);
    await page.getByLabel('Tag').fill('1');
    await page.getByRole('button', { name: 'Pull' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/not found|does not exist|no such/i);
    // The form is ready for another try: the subscription was closed, not left reconnecting.
    await page.getByRole('button', { name: 'Pull' }).waitFor();
    expect(await page.getByText(/^Pulling /).count()).toBe(0);
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  });
});
