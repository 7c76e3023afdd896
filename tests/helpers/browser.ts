import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { ADMIN, startTestServer, type TestServer } from './server.js';

export const screenshotDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../e2e/screenshots');

/** Debian's Chromium, headless, with its background traffic off (this machine has no internet). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CAPSTAN_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
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
    // Chromium aborts requests when the host's interfaces change, which they do whenever the shared
    // test engine creates or removes a container network: the page retries those; they are not its errors.
    if (m.type() === 'error' && !/status of 401|ERR_NETWORK_CHANGED/.test(m.text())) errors.push(m.text());
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
  return { s, token, browser: await launchBrowser() };
}

export async function stopBrowserSuite(s: TestServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await s?.dispose();
}
