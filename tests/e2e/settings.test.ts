import { createHmac } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { horizontalOverflow, logIn, openPage, PHONE, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { uniqueName } from '../helpers/engine.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/receivers.js';
import { deployAndWait, httpRequest, removeServiceAndWait, waitForDeployment, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;
let receiver: HttpReceiver;
const serviceName = uniqueName('e2eset');
let serviceId = '';

beforeAll(async () => {
  ({ s, token, browser } = await startBrowserSuite());
  receiver = await startHttpReceiver();
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name: serviceName,
    services: { app: { image: inject('testEnv').image, command: ['sleep', '3600'] } },
  });
  serviceId = service.id;
}, 120_000);

afterAll(async () => {
  if (serviceId) await removeServiceAndWait(s, token, serviceId);
  await receiver?.close();
  await stopBrowserSuite(s, browser);
});

/** The refusals the tests provoke on purpose show up as console errors of the failed request. */
const unexpected = (errors: string[], ...allowed: number[]) => errors.filter((e) => !allowed.some((status) => e.includes(`status of ${status}`)));

/** Controls a screen reader could not name. */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
      .filter((el) => {
        const labels = (el as HTMLInputElement).labels;
        const text = (el.getAttribute('aria-label') ?? '') + (el.getAttribute('title') ?? '') + (el.tagName === 'BUTTON' || el.tagName === 'A' ? (el.textContent ?? '') : '');
        return !text.trim() && !(labels && labels.length > 0) && !el.getAttribute('aria-labelledby');
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

const confirm = async (page: Page, label: string) => {
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: label }).click();
  await dialog.waitFor({ state: 'hidden' });
};

describe('the settings pages', () => {
  it('creates a token whose secret is shown once and works for the API, and revokes it so it is refused at once', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(/\/settings\/tokens$/);
    await page.getByRole('heading', { name: 'Settings' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('e2e pipeline');
    await page.getByRole('button', { name: 'Create token' }).click();
    const box = page.getByTestId('new-token');
    await box.waitFor();
    const secret = await box.inputValue();
    expect(secret).toMatch(/^cst_[A-Za-z0-9_-]{20,}$/);
    expect(await box.getAttribute('readonly')).not.toBeNull();
    expect(await page.locator('.secret-once').textContent()).toContain('you will not see it again');

    const row = page.locator('tr[data-token="e2e pipeline"]');
    await row.waitFor();
    expect(await row.textContent()).toContain(secret.slice(-4));
    expect(await row.textContent()).toContain('admin');
    expect(await row.textContent()).not.toContain(secret);
    await screenshot(page, 'settings-tokens');

    // The secret works like a session, from outside the browser.
    expect((await s.request('GET', '/api/services', { token: secret })).status).toBe(200);

    // Dismissed, it is gone from the page for good.
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await box.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);
    // A reload shows its last use.
    await page.reload();
    await row.waitFor();
    expect(await row.locator('td[data-label="Last used"]').textContent()).not.toContain('never');

    await row.getByRole('button', { name: 'Revoke token e2e pipeline' }).click();
    expect(await page.getByRole('dialog').textContent()).toContain('e2e pipeline');
    await confirm(page, 'Revoke token');
    await row.waitFor({ state: 'detached' });
    await page.locator('p.notice-ok').filter({ hasText: 'Revoked token e2e pipeline' }).waitFor();
    expect((await s.request('GET', '/api/services', { token: secret })).status).toBe(401);

    // An expiry date: the token stops at the end of that day.
    const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Name', { exact: true }).fill('e2e dated');
    await page.getByLabel('Expires on (optional)').fill(day);
    await page.getByRole('button', { name: 'Create token' }).click();
    await box.waitFor();
    const dated = page.locator('tr[data-token="e2e dated"]');
    await dated.waitFor();
    expect(await dated.locator('td[data-label="Expires"]').textContent()).not.toContain('never');
    const listed = (await s.request('GET', '/api/tokens', { token })).json.find((t: { name: string }) => t.name === 'e2e dated');
    expect(new Date(listed.expires_at).getTime()).toBeGreaterThan(Date.now() + 2 * 86_400_000);
    expect(listed.expired).toBe(false);
    expect(errors).toEqual([]);
  });

  it('adds a channel with a masked URL, sends a test that the receiver gets once, shows a refusal and a failing channel, and keeps the secret on edit', async () => {
    const password = 'pw-e2e-9f3b1c';
    const signing = 'sig-e2e-7d2a44';
    const url = `generic+http://hookuser:${password}@127.0.0.1:${receiver.port}/hook?secret=${signing}`;
    receiver.received.length = 0;
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/settings/notifications');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByLabel('Name', { exact: true }).fill('e2e receiver');
    await page.getByLabel('URL', { exact: true }).fill(url);
    // The help names every scheme.
    const help = await page.locator('.url-help').textContent();
    for (const scheme of ['generic+https://', 'ntfy://', 'gotify://', 'discord://', 'slack://', 'smtp://']) expect(help).toContain(scheme);
    const died = page.getByRole('checkbox', { name: 'A container died' });
    expect(await died.isChecked()).toBe(true);
    await page.getByRole('checkbox', { name: 'A deployment succeeded' }).check();
    await page.getByRole('button', { name: 'Add channel' }).click();

    const card = page.locator('li[data-channel="e2e receiver"]');
    await card.waitFor();
    const shownUrl = (await card.getByTestId('channel-url').textContent()) ?? '';
    expect(shownUrl).toContain('••••');
    expect(shownUrl).toContain(`127.0.0.1:${receiver.port}/hook`);
    expect(await page.content()).not.toContain(password);
    expect(await page.content()).not.toContain(signing);
    expect(await card.textContent()).toContain('A deployment succeeded');
    expect(await card.textContent()).toContain('generic');

    await card.getByRole('button', { name: 'Send test to e2e receiver' }).click();
    const result = card.getByTestId('test-result');
    await result.filter({ hasText: 'Accepted' }).waitFor();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({ method: 'POST', url: '/hook' });
    expect(receiver.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`hookuser:${password}`).toString('base64')}`);
    await expect.poll(() => card.locator('.channel-facts > div').last().textContent()).not.toContain('never');
    await screenshot(page, 'settings-notifications');

    // A receiver that answers 500: the refusal in plain words, then a failing mark after three in a row.
    receiver.failNext(3);
    await card.getByRole('button', { name: 'Send test to e2e receiver' }).click();
    await result.filter({ hasText: 'Not delivered' }).waitFor();
    expect(await result.textContent()).toMatch(/did not accept the message.*HTTP 500/);
    expect(await card.getByTestId('failing').count()).toBe(0);
    for (let i = 0; i < 2; i++) {
      await card.getByRole('button', { name: 'Send test to e2e receiver' }).click();
      await card.getByRole('button', { name: 'Send test to e2e receiver' }).filter({ hasText: 'Send test' }).waitFor();
    }
    await card.getByTestId('failing').waitFor();
    expect(await card.locator('.channel-error').textContent()).toMatch(/3 deliveries in a row failed.*HTTP 500/);
    expect(receiver.received).toHaveLength(4);
    await screenshot(page, 'settings-notifications-failing');

    // Edit: the URL field starts masked; a rename keeps the stored URL, secrets and all.
    await card.getByRole('button', { name: 'Edit e2e receiver' }).click();
    const urlField = card.getByLabel('URL', { exact: true });
    expect(await urlField.inputValue()).toBe(shownUrl);
    expect(await urlField.inputValue()).not.toContain(password);
    await card.getByLabel('Name', { exact: true }).fill('e2e renamed');
    await card.getByRole('button', { name: 'Save channel' }).click();
    const renamed = page.locator('li[data-channel="e2e renamed"]');
    await renamed.waitFor();
    await renamed.getByRole('button', { name: 'Send test to e2e renamed' }).click();
    await renamed.getByTestId('test-result').filter({ hasText: 'Accepted' }).waitFor();
    expect(receiver.received).toHaveLength(5);
    expect(receiver.received[4]!.headers.authorization).toBe(`Basic ${Buffer.from(`hookuser:${password}`).toString('base64')}`);
    // The success cleared the failing mark.
    await renamed.getByTestId('failing').waitFor({ state: 'detached' });
    expect(await renamed.locator('.channel-error').count()).toBe(0);

    await renamed.getByRole('button', { name: 'Remove e2e renamed' }).click();
    await confirm(page, 'Remove channel');
    await renamed.waitFor({ state: 'detached' });
    expect((await s.request('GET', '/api/notifications', { token })).json).toEqual([]);
    expect(unexpected(errors, 503)).toEqual([]);
  });

  it("creates a service's webhook whose URL redeploys without a login, and rotates it so the old URL is a 404", async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, `/services/${serviceId}`);
    await page.getByRole('navigation', { name: 'Service sections' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(/\/webhooks$/);
    await page.getByLabel('When called').selectOption('redeploy');
    await page.getByLabel('Name (optional)').fill('e2e ci');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const box = page.getByTestId('new-webhook-url');
    await box.waitFor();
    const url = await box.inputValue();
    expect(url).toMatch(new RegExp(`^${s.url}/api/hooks/[^/]+$`));
    expect(await page.locator('.hook-usage').textContent()).toContain(`curl -X POST ${url}`);
    const row = page.locator('tr[data-webhook="e2e ci"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('Redeploy');
    await screenshot(page, 'service-webhooks');

    const called = await httpRequest(url, 'POST', url);
    expect(called.status, called.text).toBe(202);
    expect(called.json.deployment_id).toEqual(expect.any(String));
    expect((await waitForDeployment(s, token, called.json.deployment_id)).status).toBe('succeeded');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.reload();
    await row.getByRole('link', { name: 'its deployment' }).waitFor();
    expect(await row.getByRole('link', { name: 'its deployment' }).getAttribute('href')).toBe(`/services/${serviceId}/deployments?deployment=${called.json.deployment_id}`);

    await row.getByRole('button', { name: 'Rotate webhook e2e ci' }).click();
    await confirm(page, 'Rotate URL');
    await box.waitFor();
    const rotated = await box.inputValue();
    expect(rotated).not.toBe(url);
    expect(rotated).toMatch(new RegExp(`^${s.url}/api/hooks/[^/]+$`));
    expect((await httpRequest(url, 'POST', url)).status).toBe(404);
    const again = await httpRequest(rotated, 'POST', rotated);
    expect(again.status, again.text).toBe(202);
    await waitForDeployment(s, token, again.json.deployment_id);

    await row.getByRole('button', { name: 'Delete webhook e2e ci' }).click();
    await confirm(page, 'Delete webhook');
    await row.waitFor({ state: 'detached' });
    await box.waitFor({ state: 'detached' });
    expect((await httpRequest(rotated, 'POST', rotated)).status).toBe(404);

    // A signed hook: the page says how the signature travels, and only a signed call is let through.
    const signingSecret = 'e2e-signing-5be1';
    await page.getByLabel('When called').selectOption('update');
    await page.getByLabel('Name (optional)').fill('e2e signed');
    await page.getByLabel('Signing secret (optional)').fill(signingSecret);
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await box.waitFor();
    const signedUrl = await box.inputValue();
    const usage = (await page.locator('.hook-usage').textContent()) ?? '';
    expect(usage).toContain('X-Hub-Signature-256: sha256=');
    expect(usage).toContain(signedUrl);
    expect(await page.content()).not.toContain(signingSecret);
    const signedRow = page.locator('tr[data-webhook="e2e signed"]');
    expect(await signedRow.textContent()).toContain('signature required');
    expect(await signedRow.textContent()).toContain('Update');
    const body = '{"ref":"refs/heads/main"}';
    expect((await httpRequest(signedUrl, 'POST', signedUrl, { rawBody: body })).status).toBe(401);
    const signature = `sha256=${createHmac('sha256', signingSecret).update(body).digest('hex')}`;
    const signedCall = await httpRequest(signedUrl, 'POST', signedUrl, { rawBody: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } });
    expect(signedCall.status, signedCall.text).toBe(202);
    await waitForDeployment(s, token, signedCall.json.deployment_id);
    expect(errors).toEqual([]);
  });

  it('on a phone, light and dark, the three pages fit the screen and every control has a name', async () => {
    const channel = await s.request('POST', '/api/notifications', { token, body: { name: 'phone check', url: `generic+http://127.0.0.1:${receiver.port}/a/rather/long/path/for/a/narrow/screen?secret=abcdefgh`, events: ['deployment.failed'] } });
    expect(channel.status, channel.text).toBe(201);
    expect((await s.request('POST', '/api/tokens', { token, body: { name: 'phone check' } })).status).toBe(201);
    expect((await s.request('POST', `/api/services/${serviceId}/webhooks`, { token, body: { action: 'redeploy', name: 'phone check' } })).status).toBe(201);
    const pages: [string, string, string][] = [
      ['settings-tokens', '/settings/tokens', 'tr[data-token="phone check"]'],
      ['settings-notifications', '/settings/notifications', 'li[data-channel="phone check"]'],
      ['service-webhooks', `/services/${serviceId}/webhooks`, 'tr[data-webhook="phone check"]'],
    ];
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(browser, { viewport: PHONE, colorScheme });
      await logIn(page, s.url, '/');
      for (const [name, url, ready] of pages) {
        await page.goto(`${s.url}${url}`);
        await page.locator(ready).waitFor();
        expect(await horizontalOverflow(page), name).toBeLessThanOrEqual(0);
        expect(await unnamedControls(page), name).toEqual([]);
        await screenshot(page, `${name}-390-${colorScheme}`);
      }
      expect(errors).toEqual([]);
    }
  });
});
