import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logIn, openPage, screenshot, startBrowserSuite, stopBrowserSuite } from '../helpers/browser.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

let s: TestServer;
let token: string;
let browser: Browser;
let serviceId = '';
let containerId = '';
const docker = testDocker();

beforeAll(async () => {
  ({ s, token, browser } = await startBrowserSuite());
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name: uniqueName('e2eterm'),
    services: { box: { image: inject('testEnv').image, command: ['sleep', '3600'] } },
  });
  serviceId = service.id;
  containerId = service.containers[0].container_id;
}, 120_000);

afterAll(() => stopBrowserSuite(s, browser));

const screenText = (page: Page) => page.locator('.terminal-view .xterm-rows').innerText();
const processes = async (): Promise<string[]> => ((await docker.getContainer(containerId).top()).Processes as string[][]).map((p) => p.join(' '));

/** The container's running execs whose command is `argv`. */
async function runningExecs(argv: string): Promise<string[]> {
  const found: string[] = [];
  for (const id of (await docker.getContainer(containerId).inspect()).ExecIDs ?? []) {
    const info = await docker.getExec(id).inspect().catch(() => undefined);
    if (info?.Running && [info.ProcessConfig.entrypoint, ...info.ProcessConfig.arguments].join(' ') === argv) found.push(id);
  }
  return found;
}

describe('the terminal tab', () => {
  it('connects a shell over a same-origin WebSocket, shows its output, and ends the process when the page closes', async () => {
    const { page, errors } = await openPage(browser);
    const xtermRequests: string[] = [];
    page.on('request', (r) => /\/assets\/xterm-/.test(r.url()) && xtermRequests.push(r.url()));
    await logIn(page, s.url, `/services/${serviceId}/terminal`);
    await page.getByRole('button', { name: 'Connect' }).waitFor();
    // xterm.js is not in what the dashboard loads up front: it comes with the first Connect.
    expect(xtermRequests).toEqual([]);
    expect(await page.getByRole('combobox', { name: 'Container', exact: true }).inputValue()).toMatch(/box/);

    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => page.getByTestId('terminal-state').textContent()).toContain('Connected');
    expect(xtermRequests.length).toBeGreaterThan(0);
    await expect.poll(() => screenText(page)).toContain('#');
    await page.locator('.terminal-view').click();
    await page.keyboard.type('echo hi');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await screenText(page)).split('\n').map((l) => l.trim())).toContain('hi');
    // The page's size reached the pty (resize frames on fit): not the 0x0 an exec starts with.
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    await expect.poll(async () => /^\d+ \d+$/m.test((await screenText(page)).split('\n').map((l) => l.trim()).join('\n'))).toBe(true);
    await page.keyboard.type('sleep 4343');
    await page.keyboard.press('Enter');
    await until('sleep 4343 running', async () => ((await processes()).some((p) => p.includes('sleep 4343')) ? true : undefined));
    const [execId] = await until('the exec', async () => {
      const ids = await runningExecs('sh');
      return ids.length === 1 ? ids : undefined;
    });
    await screenshot(page, 'terminal');
    expect(errors).toEqual([]);

    await page.context().close();
    await until('the exec ended', async () => ((await docker.getExec(execId!).inspect()).Running ? undefined : true));
    await until('sleep 4343 gone', async () => ((await processes()).some((p) => p.includes('sleep 4343')) ? undefined : true));
  });

  it('says in plain words that a custom command does not exist, and that a session ended', async () => {
    const { page, errors } = await openPage(browser);
    await logIn(page, s.url, `/services/${serviceId}/terminal`);
    await page.getByRole('combobox', { name: 'Shell', exact: true }).selectOption('custom');
    await page.getByRole('textbox', { name: 'Command', exact: true }).fill('no-such-command-here --flag');
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect
      .poll(() => page.getByTestId('terminal-message').textContent().catch(() => ''), { timeout: 20_000 })
      .toMatch(/could not be started in the container: it was not found there or is not executable \(exit code 12[67]\)/);
    // The engine's own words are on the screen too.
    expect(await screenText(page)).toMatch(/no-such-command-here/);
    expect(await page.getByRole('button', { name: 'Connect' }).isEnabled()).toBe(true);

    // An empty custom command is refused before anything is sent.
    await page.getByRole('textbox', { name: 'Command', exact: true }).fill('   ');
    await page.getByRole('button', { name: 'Connect' }).click();
    expect(await page.getByRole('alert').filter({ hasText: 'Enter a command to run.' }).count()).toBe(1);

    // A shell that exits says so.
    await page.getByRole('combobox', { name: 'Shell', exact: true }).selectOption('sh');
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => page.getByTestId('terminal-state').textContent()).toContain('Connected');
    await page.locator('.terminal-view').click();
    await page.keyboard.type('exit 5');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('terminal-message').textContent().catch(() => '')).toBe('The command ended with exit code 5.');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
