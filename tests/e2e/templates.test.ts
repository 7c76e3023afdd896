import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { type TestServer } from '../helpers/server.js';

let s: TestServer;
let token: string;
let browser: Browser;
const docker = testDocker();

beforeAll(async () => ({ s, token, browser } = await startBrowserSuite()));
afterAll(() => stopBrowserSuite(s, browser));

const card = (page: Page, id: string) => page.locator(`li[data-template="${id}"]`);
/** The service the deploy case made; the taken-name case deploys under its name again. */
let deployedName = '';
const serviceNames = async () => ((await s.request('GET', '/api/services', { token })).json as { name: string }[]).map((x) => x.name);

const BROKEN_LOGO = '/no-such-logo.png';

/**
 * The page's errors, less the 404 the browser itself logs for the imported template's broken
 * logo: every 404 the page got must have been that logo.
 */
function errorsBesidesLogo(page: Page, errors: string[]): () => string[] {
  const missing: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 404) missing.push(new URL(r.url()).pathname);
  });
  return () => {
    expect(missing.filter((p) => p !== BROKEN_LOGO)).toEqual([]);
    return errors.filter((e) => !/status of 404/.test(e));
  };
}

/** A Portainer App Templates document (version 3) as community lists publish them: a container template and a swarm stack. */
const portainerDocument = () => ({
  version: '3',
  templates: [
    {
      type: 1,
      title: 'Greeter Box',
      description: 'A busybox that keeps a greeting in its environment',
      categories: ['testing'],
      platform: 'linux',
      logo: BROKEN_LOGO,
      note: 'It greets with ${GREETING}.',
      image: inject('testEnv').image,
      command: 'sleep 86400',
      restart_policy: 'unless-stopped',
      env: [
        { name: 'GREETING', label: 'Greeting', default: 'hello', description: 'What it says' },
        { name: 'NICKNAME', label: 'Nickname' },
      ],
    },
    {
      type: 2,
      title: 'Swarm Thing',
      description: 'A stack for Docker Swarm',
      categories: ['testing'],
      platform: 'linux',
      repository: { url: 'https://example.invalid/stacks.git', stackfile: 'thing/docker-stack.yml' },
    },
  ],
});

describe('the templates page', () => {
  it('lists the built-in templates and narrows them as you type', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
    await page.waitForURL(`${s.url}/templates`, { waitUntil: 'commit' });
    const cards = page.getByRole('list', { name: 'Templates' }).locator('li[data-template]');
    await expect.poll(() => cards.count()).toBeGreaterThanOrEqual(12);
    expect(await card(page, 'gitea').locator('[data-source]').textContent()).toBe('built-in');
    expect(await card(page, 'wordpress').count()).toBe(1);
    // A logo the page cannot load shows the template's first letter, and the title stays readable.
    expect(await card(page, 'gitea').locator('.template-logo').count()).toBe(1);

    await page.getByRole('searchbox', { name: 'Search templates' }).fill('git');
    await expect.poll(() => card(page, 'wordpress').count()).toBe(0);
    expect(await card(page, 'gitea').count()).toBe(1);
    expect(await cards.count()).toBe(1);

    // The category filter, with the search cleared.
    await page.getByRole('searchbox', { name: 'Search templates' }).fill('');
    await page.getByLabel('Category').selectOption('cms');
    await expect.poll(() => card(page, 'gitea').count()).toBe(0);
    expect(await card(page, 'wordpress').count()).toBe(1);
    expect(await card(page, 'ghost').count()).toBe(1);
    await screenshot(page, 'templates-list');

    // The form asks for each variable: a secret is a password field, empty, to be generated.
    await page.getByLabel('Category').selectOption('');
    await page.getByRole('link', { name: 'Deploy Gitea' }).click();
    await page.getByLabel('Service name').waitFor();
    expect(await page.getByLabel('Service name').inputValue()).toBe('gitea');
    expect(await page.getByLabel(/Web port on this host/).inputValue()).toBe('3000');
    const secret = page.getByLabel(/Database password/);
    expect(await secret.getAttribute('type')).toBe('password');
    expect(await secret.inputValue()).toBe('');
    expect(await page.locator('#var-DB_PASSWORD-help').textContent()).toContain('generated when left empty');
    // The note follows the form.
    expect(await page.getByTestId('template-note').textContent()).toContain('port 3000');
    await page.getByLabel(/Web port on this host/).fill('3900');
    expect(await page.getByTestId('template-note').textContent()).toContain('port 3900');
    expect(errors).toEqual([]);
  });

  it('imports a Portainer document from a file: a JSON error sends nothing; the container template is kept, the swarm stack skipped', async () => {
    const { page, errors } = await openPage(browser);
    const otherErrors = errorsBesidesLogo(page, errors);
    await logIn(page, s.url, '/templates');
    const fileInput = page.getByLabel('Import Portainer templates');
    await card(page, 'gitea').waitFor();
    const before = (await s.request('GET', '/api/appos/templates', { token })).json.items.length as number;

    await fileInput.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"version": "3", "templates": [') });
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('broken.json is not valid JSON');
    expect((await s.request('GET', '/api/appos/templates', { token })).json.items.length).toBe(before);

    await fileInput.setInputFiles({ name: 'templates.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(portainerDocument())) });
    const result = page.getByTestId('import-result');
    await expect.poll(() => result.textContent()).toContain('Imported 1 template; skipped 1.');
    expect(await result.getByRole('list', { name: 'Skipped templates' }).textContent()).toContain('Swarm Thing: a Docker Swarm stack (type 2)');
    // The list refreshed by itself; the broken logo gives way to the letter.
    await card(page, 'greeter-box').waitFor();
    expect(await card(page, 'greeter-box').locator('[data-source]').textContent()).toBe('imported');
    await expect.poll(() => card(page, 'greeter-box').locator('.template-logo.letter').textContent()).toBe('G');
    await screenshot(page, 'templates-imported');
    expect(otherErrors()).toEqual([]);
  });

  it('deploys the imported template with a changed variable, and the service page shows it running', async () => {
    const { page, errors } = await openPage(browser);
    const otherErrors = errorsBesidesLogo(page, errors);
    await logIn(page, s.url, '/templates/greeter-box');
    const name = uniqueName('greet');
    await page.getByLabel('Service name').fill(name);
    expect(await page.getByLabel(/Greeting/).inputValue()).toBe('hello');
    await page.getByLabel(/Greeting/).fill('howdy');
    await page.getByLabel(/Nickname/).fill('boxy');
    expect(await page.getByTestId('template-note').textContent()).toBe('It greets with howdy.');
    await page.getByRole('button', { name: 'Deploy' }).click();

    await page.waitForURL(/\/services\/[^/]+\?deployment=/, { waitUntil: 'commit' });
    const id = new URL(page.url()).pathname.split('/')[2]!;
    await expect.poll(() => page.getByTestId('service-status').textContent(), { timeout: 45_000 }).toBe('running');
    await expect.poll(() => page.getByTestId('deployment-progress').textContent()).toContain('create succeeded');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(name);

    const [container] = await docker.listContainers({ filters: { label: [`io.capstan.service-id=${id}`] } });
    expect(container).toBeDefined();
    const env = (await docker.getContainer(container!.Id).inspect()).Config.Env;
    expect(env).toContain('GREETING=howdy');
    expect(env).toContain('NICKNAME=boxy');
    expect((await docker.getContainer(container!.Id).inspect()).Config.Cmd).toEqual(['sleep', '86400']);
    expect(otherErrors()).toEqual([]);
    deployedName = name;
  });

  it('refuses a missing variable and a taken name: the error marks the field, and nothing more is created', async () => {
    expect(deployedName, 'the deploy test ran first').toBeTruthy();
    const { page, errors } = await openPage(browser);
    const otherErrors = errorsBesidesLogo(page, errors);
    await logIn(page, s.url, '/templates/greeter-box');
    const fresh = uniqueName('greet');
    await page.getByLabel('Service name').fill(fresh);
    // A variable without a default is required: the server names it, the form marks it and moves focus there.
    await page.getByRole('button', { name: 'Deploy' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Invalid template variables');
    const nickname = page.getByLabel(/Nickname/);
    expect(await nickname.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#var-NICKNAME-help').textContent()).toBe('required');
    expect(await nickname.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByLabel(/Greeting/).getAttribute('aria-invalid')).toBe('false');
    expect(await page.getByLabel('Service name').getAttribute('aria-invalid')).toBe('false');

    await nickname.fill('boxy');
    expect(await nickname.getAttribute('aria-invalid')).toBe('false');
    await page.getByLabel('Service name').fill(deployedName);
    await page.getByRole('button', { name: 'Deploy' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Service name already used');
    expect(await page.getByLabel('Service name').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#template-service-name-help').textContent()).toContain(`a service named "${deployedName}" exists`);
    expect(new URL(page.url()).pathname).toBe('/templates/greeter-box');
    const names = await serviceNames();
    expect(names.filter((n) => n === deployedName)).toHaveLength(1);
    expect(names).not.toContain(fresh);
    expect(await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${deployedName}`] } })).toHaveLength(1);
    await screenshot(page, 'templates-name-taken');
    // The browser logs the refused requests itself (400, 409); nothing else.
    expect(otherErrors().filter((e) => !/status of (400|409)/.test(e))).toEqual([]);
  });

  it('removes an imported template after confirming', async () => {
    const { page, errors } = await openPage(browser);
    const otherErrors = errorsBesidesLogo(page, errors);
    await logIn(page, s.url, '/templates');
    await card(page, 'greeter-box').waitFor();
    // Built-in templates cannot be removed, so they offer no button.
    expect(await card(page, 'gitea').getByRole('button', { name: /Remove/ }).count()).toBe(0);
    await page.getByRole('button', { name: 'Remove Greeter Box' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove template' }).click();
    await expect.poll(() => card(page, 'greeter-box').count()).toBe(0);
    const ids = ((await s.request('GET', '/api/appos/templates', { token })).json.items as { id: string }[]).map((t) => t.id);
    expect(ids).not.toContain('greeter-box');
    expect(ids).toContain('gitea');
    expect(otherErrors()).toEqual([]);
  });
});
