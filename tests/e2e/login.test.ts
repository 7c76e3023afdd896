import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { ADMIN, type TestServer } from '../helpers/server.js';

let s: TestServer;
let browser: Browser;
beforeAll(async () => ({ s, browser } = await startBrowserSuite()));
afterAll(() => stopBrowserSuite(s, browser));

const newPage = () => openPage(browser);

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
    // Back where they wanted to go: a service that does not exist says so, and offers the way back.
    await page.getByRole('heading', { name: 'Service not found' }).waitFor();
    await page.getByRole('link', { name: 'Back to services' }).click();
    await expect.poll(() => page.getByText('No services yet.').count()).toBe(1);
    await expect.poll(() => page.getByTestId('engine-state').textContent()).toContain('Up');
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

  it('sends a person whose session ended back to login, and then to where they were', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${s.url}/login?next=%2Fimages`);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${s.url}/images`);
    await page.getByRole('heading', { name: 'Images' }).waitFor();

    // The session ends elsewhere (another tab logged out, or it expired).
    const session = (await page.context().cookies()).find((c) => c.name === 'capstan_session')!;
    expect((await s.request('POST', '/auth/logout', { token: session.value })).status).toBe(200);

    // The next request finds the session gone: a click on Schedules, or a request the page makes by itself
    // first (then the click finds the login page instead of the link). Either way: login, then back there.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click({ timeout: 5_000 }).catch(() => {});
    await page.waitForURL(/\/login\?next=%2F(schedules|images)&expired=1$/);
    const next = new URL(page.url()).searchParams.get('next')!;
    await page.getByText('Your session has ended. Sign in again to continue.').waitFor();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${s.url}${next}`);
    await page.getByRole('heading', { name: next === '/schedules' ? 'Schedules' : 'Images' }).waitFor();
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
