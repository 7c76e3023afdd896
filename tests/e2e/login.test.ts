import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let browser: Browser;
beforeAll(async () => {
  s = await startTestServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.dispose();
});

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  // A CSP violation or a script error shows up here.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

describe('the dashboard in Chromium', () => {
  it('sends a visitor to the login page, logs in, shows the shell, and logs out', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${s.url}/services/abc`);
    await page.waitForURL(/\/login\?next=/);
    await screenshot(page, 'login');

    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Invalid username or password');

    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${s.url}/services/abc`);
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('admin');
    await expect.poll(() => page.getByText('No services yet.').count()).toBe(1);
    await screenshot(page, 'shell');

    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'capstan_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    expect((await s.request('GET', '/auth/me', { token: session!.value })).status).toBe(401);
    expect(errors).toEqual([]);
  });

  it('the API reference page renders under the CSP', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${s.url}/api/docs`);
    await expect.poll(() => page.getByText('/auth/login').first().count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await screenshot(page, 'api-docs');
    expect(errors).toEqual([]);
  });
});
