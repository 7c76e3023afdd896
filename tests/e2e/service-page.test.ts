import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;
const docker = testDocker();

beforeAll(async () => ({ s, token, browser } = await startBrowserSuite()));
afterAll(() => stopBrowserSuite(s, browser));

async function containerEnv(serviceId: string, key: string): Promise<string[]> {
  const [c] = await docker.listContainers({ all: true, filters: { label: [`io.capstan.service-id=${serviceId}`, `com.docker.compose.service=${key}`] } });
  return c ? ((await docker.getContainer(c.Id).inspect()).Config.Env ?? []) : [];
}

describe('the service page', () => {
  it('edits the definition and the environment (masked until revealed), and shows each deployment', async () => {
    const name = uniqueName('page');
    const image = inject('testEnv').image;
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
      name,
      services: { app: { image, command: ['sleep', '86400'], environment: { API_TOKEN: 'hunter2-secret', MODE: 'prod' } } },
    });
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, `/services/${service.id}`);
    await expect.poll(() => page.getByTestId('service-status').textContent()).toBe('running');

    // Definition: the stored YAML (the JSON body, turned into YAML once), edited and applied.
    await page.getByRole('link', { name: 'Definition' }).click();
    const editor = page.getByLabel('Definition (compose YAML)');
    await expect.poll(() => editor.inputValue()).toContain('API_TOKEN');
    const yaml = await editor.inputValue();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download YAML' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`${name}.compose.yaml`);
    expect(readFileSync((await download.path())!, 'utf8')).toBe(yaml);

    await editor.fill(yaml.replace('MODE: prod', 'MODE: staging'));
    await page.getByText('Unsaved changes').waitFor();
    await page.getByTestId('definition-valid').waitFor();
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await expect.poll(() => page.getByTestId('deployment-progress').textContent(), { timeout: 60_000 }).toContain('update succeeded');
    await expect.poll(() => containerEnv(service.id, 'app')).toContain('MODE=staging');
    await screenshot(page, 'service-definition');

    // Environment: masked values; the secret is not on the page until revealed.
    await page.getByRole('link', { name: 'Environment' }).click();
    const card = page.locator('fieldset[data-container="app"]');
    await card.getByRole('button', { name: 'Reveal value of API_TOKEN' }).waitFor();
    expect(await page.content()).not.toContain('hunter2-secret');
    await screenshot(page, 'service-environment');
    await card.getByRole('button', { name: 'Reveal value of API_TOKEN' }).click();
    expect(await card.getByLabel('Value of API_TOKEN', { exact: true }).inputValue()).toBe('hunter2-secret');
    await card.getByLabel('Value of API_TOKEN', { exact: true }).fill('rotated-token');
    await card.getByRole('button', { name: 'Add variable' }).click();
    await card.getByLabel('Name of variable 3 of app').fill('EXTRA');
    await card.getByLabel('Value of EXTRA', { exact: true }).fill('yes');
    await page.getByRole('button', { name: 'Save and recreate' }).click();
    await expect.poll(() => page.getByTestId('deployment-progress').textContent(), { timeout: 60_000 }).toContain('env succeeded');
    await expect.poll(() => containerEnv(service.id, 'app')).toEqual(expect.arrayContaining(['API_TOKEN=rotated-token', 'EXTRA=yes', 'MODE=staging']));
    // After saving, values are masked again.
    expect(await page.content()).not.toContain('rotated-token');

    // Deployments: every one, newest first.
    await page.getByRole('link', { name: 'Deployments' }).click();
    await expect.poll(() => page.locator('.deployments > li summary').allTextContents()).toEqual([
      expect.stringMatching(/^succeeded\s*env/),
      expect.stringMatching(/^succeeded\s*update/),
      expect.stringMatching(/^succeeded\s*create/),
    ]);
    await screenshot(page, 'service-deployments');

    // Redeploy from the header shows its deployment live on the overview.
    await page.getByRole('button', { name: 'Redeploy' }).click();
    await page.waitForURL(/\?deployment=/);
    await expect.poll(() => page.getByTestId('deployment-progress').first().textContent(), { timeout: 60_000 }).toContain('redeploy succeeded');
    expect(errors).toEqual([]);
  });
});
