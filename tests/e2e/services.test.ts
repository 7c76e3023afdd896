import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fillDefinition, logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { type TestServer } from '../helpers/server.js';

let s: TestServer;
let browser: Browser;
const docker = testDocker();

beforeAll(async () => ({ s, browser } = await startBrowserSuite()));
afterAll(() => stopBrowserSuite(s, browser));

const statusOnPage = (page: Page) => page.getByTestId('service-status').textContent();
const rowStatus = (page: Page, name: string) => page.locator(`tr[data-service="${name}"] [data-status]`).getAttribute('data-status');

describe('services in the dashboard', () => {
  it('marks a validation error at its line as you type, and clears it when fixed', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/services/new');
    await page.getByLabel('Name', { exact: true }).fill(uniqueName('val'));
    const yaml = ['services:', '  web:', `    image: ${inject('testEnv').image}`, '    colour: blue', '    ports:', '      - "99999:80"', ''].join('\n');
    await fillDefinition(page, yaml);

    const issues = page.getByRole('list', { name: 'Problems in the definition' });
    await expect.poll(() => issues.locator('li').count()).toBe(2);
    expect(await issues.locator('li').first().getAttribute('data-line')).toBe('4');
    expect(await issues.locator('li').first().textContent()).toContain('unknown key "colour"');
    expect(await issues.locator('li').nth(1).getAttribute('data-line')).toBe('6');
    expect(await issues.locator('li').nth(1).textContent()).toMatch(/between 1 and 65535/);
    // The gutter marks exactly those lines.
    expect(await page.locator('.gutter-line.err').allTextContents()).toEqual(['4', '6']);
    expect(await page.getByRole('button', { name: 'Create and deploy' }).isDisabled()).toBe(true);
    await screenshot(page, 'new-service-invalid');

    // "Line 4" moves the caret there.
    await issues.getByRole('button', { name: 'Line 4' }).click();
    const caretLine = await page.getByLabel('Definition (compose YAML)').evaluate((el: HTMLTextAreaElement) => el.value.slice(0, el.selectionStart).split('\n').length);
    expect(caretLine).toBe(4);

    await fillDefinition(page, yaml.replace('    colour: blue\n', '').replace('99999', '8080'));
    await page.getByTestId('definition-valid').waitFor();
    expect(await page.locator('.gutter-line.err').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('creates a two-container service from YAML and shows it running, live; a container stopped behind its back shows up', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/');
    const name = uniqueName('two');
    await page.getByRole('link', { name: 'New service' }).click();
    await page.getByLabel('Name', { exact: true }).fill(name);
    const image = inject('testEnv').image;
    await fillDefinition(
      page,
      `services:\n  db:\n    image: ${image}\n    command: ["sleep", "86400"]\n    volumes:\n      - data:/data\n  web:\n    image: ${image}\n    command: ["sleep", "86400"]\n    depends_on: [db]\nvolumes:\n  data: {}\n`,
    );
    await page.getByTestId('definition-valid').waitFor();
    await page.getByRole('button', { name: 'Create and deploy' }).click();

    // A client-side route change: wait for the URL, not for a document 'load' (a live stream may hold that open).
    await page.waitForURL(/\/services\/[^/]+\?deployment=/, { waitUntil: 'commit' });
    const id = new URL(page.url()).pathname.split('/')[2]!;
    // No reload: the status subscription moves the badge.
    await expect.poll(() => statusOnPage(page), { timeout: 45_000 }).toBe('running');
    await expect.poll(() => page.locator('tr[data-container] [data-status="running"]').count()).toBe(2);
    await expect.poll(() => page.getByTestId('deployment-progress').textContent()).toContain('create succeeded');
    await screenshot(page, 'service-running');

    const web = (await docker.listContainers({ filters: { label: [`io.capstan.service-id=${id}`, 'com.docker.compose.service=web'] } }))[0]!;
    await docker.getContainer(web.Id).stop({ t: 1 });
    await expect.poll(() => statusOnPage(page), { timeout: 30_000 }).toBe('partial');
    await expect.poll(() => page.locator(`tr[data-container="${web.Names[0]!.slice(1)}"] [data-status]`).getAttribute('data-status')).toBe('exited');

    // The overview shows it too, with counts, and its quick actions work.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await expect.poll(() => rowStatus(page, name)).toBe('partial');
    expect(await page.locator(`tr[data-service="${name}"]`).textContent()).toContain('1/2 running');
    await page.getByRole('button', { name: `Start ${name}`, exact: true }).click();
    await expect.poll(() => rowStatus(page, name), { timeout: 30_000 }).toBe('running');
    await page.getByRole('button', { name: `Stop ${name}`, exact: true }).click();
    await expect.poll(() => rowStatus(page, name), { timeout: 30_000 }).toBe('stopped');
    expect(await page.getByTestId('count-stopped').textContent()).not.toBe('0');

    // Filters: by name and by status.
    await page.getByPlaceholder('Filter by name').fill('no-such-service');
    await page.getByText('No services match these filters.').waitFor();
    await page.getByPlaceholder('Filter by name').fill(name);
    await page.locator(`tr[data-service="${name}"]`).waitFor();
    await page.getByLabel('Filter by status').selectOption('running');
    await page.getByText('No services match these filters.').waitFor();
    await page.getByLabel('Filter by status').selectOption('stopped');
    await page.locator(`tr[data-service="${name}"]`).waitFor();

    // Hard delete says what it destroys, and wants the name typed.
    await page.getByRole('link', { name }).click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Delete everything (hard)').click();
    const warning = await dialog.getByTestId('hard-delete-warning').textContent();
    expect(warning).toContain(`named volumes and all data in them will be deleted: ${name}_data.`);
    expect(warning).toContain('cannot be undone');
    const confirm = dialog.getByRole('button', { name: 'Delete service and data' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type .* to confirm/).fill(name);
    await screenshot(page, 'service-delete-dialog');
    await confirm.click();
    await page.waitForURL(`${s.url}/`);
    await expect.poll(() => page.locator(`tr[data-service="${name}"]`).count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => volumeExists(docker, `${name}_data`), { timeout: 30_000 }).toBe(false);
    expect(errors).toEqual([]);
  });
});
