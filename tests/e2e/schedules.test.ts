import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { uniqueName } from '../helpers/engine.js';
import { deployAndWait, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;

beforeAll(async () => ({ s, token, browser } = await startBrowserSuite()));
afterAll(() => stopBrowserSuite(s, browser));

/** What the page should print for an instant in a zone, formatted here the way the browser does (same locale). */
const inZone = (iso: string, timeZone: string, opts: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-US', { ...opts, timeZone }).format(new Date(iso));

async function lastRun(page: Page, id: string): Promise<string> {
  const cell = page.locator(`li[data-schedule="${id}"] [data-testid="last-run"]`);
  // The outcome of a manual run has no live channel; press Refresh as a person would when it lags.
  const refresh = cell.getByRole('button', { name: 'Refresh' });
  if (await refresh.isVisible()) await refresh.click();
  return (await cell.textContent()) ?? '';
}

describe('the schedules page', () => {
  it('creates a schedule in the browser time zone by default, shows the next run in both zones, runs it now, edits and deletes it', async () => {
    const name = uniqueName('sched');
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
      name,
      services: { app: { image: inject('testEnv').registryImage, command: ['sleep', '86400'] } },
    });
    // The person is in Berlin; the server and the schedule need not be.
    const { page, errors } = await openPage(browser, { timezoneId: 'Europe/Berlin', locale: 'en-US' });
    await logIn(page, s.url, '/schedules');
    await page.getByText('No schedules yet.').waitFor();
    await page.getByRole('button', { name: 'New schedule' }).click();
    const form = page.getByRole('form', { name: 'New schedule' });
    expect(await form.getByLabel('Time zone').inputValue()).toBe('Europe/Berlin');
    await form.getByLabel('Service').selectOption({ label: name });
    await form.getByLabel('Weekly').check();
    await form.getByLabel('Day').selectOption('Monday');
    await form.getByLabel('Time', { exact: true }).fill('04:30');
    await form.getByLabel('Time zone').fill('Asia/Tokyo');
    await screenshot(page, 'schedule-form');
    await form.getByRole('button', { name: 'Create schedule' }).click();

    const card = page.locator('li[data-schedule]');
    await card.waitFor();
    const id = (await card.getAttribute('data-schedule'))!;
    const stored = (await s.request('GET', `/api/schedules/${id}`, { token })).json;
    expect(stored).toMatchObject({ service_id: service.id, frequency: 'weekly', day_of_week: 'Monday', time_of_day: '04:30', timezone: 'Asia/Tokyo', action: 'update' });
    expect(await card.textContent()).toContain('Every Monday at 04:30 (Asia/Tokyo)');

    // The next run in the person's time (Berlin) and in the schedule's zone (Tokyo: 04:30).
    const next = await card.getByTestId('next-run').textContent();
    expect(next).toContain(inZone(stored.next_run_at, 'Europe/Berlin', { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }));
    expect(next).toContain(inZone(stored.next_run_at, 'Asia/Tokyo', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }));
    expect(next).toMatch(/Mon.*04:30.*in Asia\/Tokyo/);
    expect(await card.getByTestId('last-run').textContent()).toBe('Never');
    await screenshot(page, 'schedules');

    // Run now: the outcome arrives (nothing changed in the registry, so nothing to update).
    await card.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(() => lastRun(page, id), { timeout: 60_000, interval: 500 }).toContain('nothing to update');

    // Edit: daily restarts at 23:15 in UTC.
    await card.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit schedule' });
    await edit.getByLabel('Daily').check();
    await edit.getByLabel('Time', { exact: true }).fill('23:15');
    await edit.getByLabel('Time zone').fill('UTC');
    await edit.getByLabel('Restart').check();
    await edit.getByRole('button', { name: 'Save schedule' }).click();
    await expect.poll(() => card.textContent()).toContain('Every day at 23:15 (UTC)');
    expect((await s.request('GET', `/api/schedules/${id}`, { token })).json).toMatchObject({ frequency: 'daily', day_of_week: null, time_of_day: '23:15', timezone: 'UTC', action: 'restart' });

    // The service's own tab lists it too.
    await page.goto(`${s.url}/services/${service.id}/schedules`);
    await page.locator(`li[data-schedule="${id}"]`).waitFor();

    await page.locator(`li[data-schedule="${id}"]`).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete schedule' }).click();
    await page.getByText('No schedules for this service.').waitFor();
    expect((await s.request('GET', `/api/schedules/${id}`, { token })).status).toBe(404);
    expect(errors).toEqual([]);
  });

  it('refuses a time zone the browser does not know, before asking the server', async () => {
    await deployAndWait(s, token, 'POST', '/api/services', { name: uniqueName('tz'), services: { app: { image: inject('testEnv').image, command: ['sleep', '86400'] } } });
    const { page } = await openPage(browser);
    await logIn(page, s.url, '/schedules');
    await page.getByRole('button', { name: 'New schedule' }).click();
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Time zone').fill('Mars/Olympus');
    expect(await form.getByText(/Not a time zone this browser knows/).count()).toBe(1);
    expect(await form.getByLabel('Time zone').getAttribute('aria-invalid')).toBe('true');
  });
});
