import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { joinSockets } from './join.js';
import { ADMIN, startTestServer, type TestServer } from './server.js';

export const screenshotDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../e2e/screenshots');

const CHROMIUM = process.env.CAPSTAN_CHROMIUM ?? '/usr/bin/chromium';
const IN_NETNS = fileURLToPath(new URL('./browser-netns.mjs', import.meta.url));

/**
 * Debian's Chromium, headless, with its background traffic off (this machine has no internet).
 * As root it runs in a network namespace of its own (browser-netns.mjs): Chromium cancels requests in
 * flight whenever an interface on the host appears or goes, which the test engine makes happen with every
 * network and container. The origins given are the servers its pages may reach: each one's port on
 * 127.0.0.1 in there is joined to the same port here through a Unix socket.
 */
export async function launchBrowser(...origins: string[]): Promise<Browser> {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  if (process.getuid?.() !== 0) return chromium.launch({ executablePath: CHROMIUM, args });
  const dir = mkdtempSync(path.join(tmpdir(), 'capstan-browser-'));
  const bridges = await Promise.all(origins.map((o) => bridgePort(Number(new URL(o).port), path.join(dir, `${new URL(o).port}.sock`))));
  const wrapper = path.join(dir, 'chromium');
  const forward = bridges.map((b) => `${b.port}=${b.socket}`).join(',');
  writeFileSync(wrapper, `#!/bin/sh\nCAPSTAN_NETNS_FORWARD='${forward}' exec unshare --net -- '${process.execPath}' '${IN_NETNS}' '${CHROMIUM}' "$@"\n`, { mode: 0o755 });
  const browser = await chromium.launch({ executablePath: wrapper, args });
  browser.on('disconnected', () => {
    for (const b of bridges) b.server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return browser;
}

/** A Unix socket whose connections are joined to 127.0.0.1:port. */
function bridgePort(port: number, socket: string): Promise<{ port: number; socket: string; server: Server }> {
  const server = createServer((client) => joinSockets(client, connect(port, '127.0.0.1')));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve({ port, socket, server }));
  });
}

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: opts.fullPage ?? true });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * A fresh context and page; script errors and console errors are collected
 * (a CSP violation shows up there), except the 401s a logged-out visit causes.
 */
export async function openPage(
  browser: Browser,
  opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } & BrowserContextOptions = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: DESKTOP, ...opts });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

/** Logs in through the form and waits for the shell. */
export async function logIn(page: Page, baseUrl: string, next = '/'): Promise<void> {
  await page.goto(`${baseUrl}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('current-user').waitFor({ state: 'attached' });
}

/** Types into the definition editor as a person would paste: replaces everything. */
export async function fillDefinition(page: Page, yaml: string, label = 'Definition (compose YAML)'): Promise<void> {
  const editor = page.getByLabel(label);
  await editor.fill(yaml);
}

/** The document is no wider than the viewport (nothing pushes the page sideways on a phone). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** A real server, an admin token and Chromium for one test file; stopBrowserSuite undoes it. */
export async function startBrowserSuite(): Promise<{ s: TestServer; token: string; browser: Browser }> {
  const s = await startTestServer();
  const token = await s.login();
  return { s, token, browser: await launchBrowser(s.url) };
}

export async function stopBrowserSuite(s: TestServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await s?.dispose();
}
