import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { uniqueName } from '../helpers/engine.js';
import { ADMIN, deployAndWait, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;

beforeAll(async () => ({ s, token, browser } = await startBrowserSuite()));
afterAll(() => stopBrowserSuite(s, browser));

describe('the audit page', () => {
  it('lists what happened, filters it, pages through it, exports it, and says whether the chain holds', async () => {
    const name = uniqueName('audited');
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', { name, services: { app: { image: inject('testEnv').image, command: ['sleep', '86400'] } } });
    // 55 failed restarts of a service that does not exist: more than one page.
    for (let i = 0; i < 55; i++) expect((await s.request('POST', '/api/services/nosuchservice/restart', { token })).status).toBe(404);

    const { page, errors } = await openPage(browser);
    // A failed login is audited too.
    await page.goto(`${s.url}/login`);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await logIn(page, s.url, '/audit');

    await expect.poll(() => page.getByTestId('audit-verify').textContent()).toMatch(/Chain intact.*\d+ entries checked/);
    const rows = page.locator('.audit-table tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    // Newest first: this session's login is on top.
    expect(await rows.first().getAttribute('data-action')).toBe('auth.login');
    await screenshot(page, 'audit');

    // Pages: 50, then the rest; and back.
    await page.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => page.locator('.audit-table tbody tr[data-action="service.create"]').count()).toBe(1);
    const older = await rows.count();
    expect(older).toBeGreaterThan(5);
    expect(older).toBeLessThan(50);
    expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: '← Newer' }).click();
    await expect.poll(() => rows.count()).toBe(50);

    // Filters: only failed logins.
    await page.getByLabel('Action').fill('auth.login');
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('failure');
    expect(new URL(page.url()).searchParams.get('outcome')).toBe('failure');
    await rows.first().getByText('details').click();
    expect(await rows.first().locator('pre').textContent()).toContain('"reason"');

    // The service.create entry links to the service.
    await page.getByLabel('Action').fill('service.create');
    await page.getByLabel('Outcome').selectOption('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getByRole('link').getAttribute('href')).toBe(`/services/${service.id}`);

    // Export carries the same filters.
    const href = (await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'))!;
    expect(new URL(href, s.url).searchParams.get('action')).toBe('service.create');
    const csv = await page.request.get(new URL(href, s.url).toString());
    expect(csv.status()).toBe(200);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('service.create');
    const ndjson = await page.request.get(new URL((await page.getByRole('link', { name: 'Export NDJSON' }).getAttribute('href'))!, s.url).toString());
    expect((await ndjson.text()).trim().split('\n').map((l) => JSON.parse(l).action)).toEqual(['service.create']);
    expect(errors).toEqual([]);
  });
});
