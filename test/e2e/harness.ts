// Shared end-to-end harness: serve mode in-process on a fresh data dir, Debian Chromium through playwright-core, and
// real Electron where its binary exists. Screenshots go to test-output/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startServe, type RunningServe } from '../../engine/cli/serve.ts';
import { defaultRendererDir, packageRoot } from '../../engine/service/paths.ts';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const OUTPUT_DIR = path.join(packageRoot(), 'test-output');

export function outputPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return path.join(OUTPUT_DIR, name);
}

/** Why the browser tests cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN)`;
  return null;
}

export function rendererMissing(): string | null {
  const index = path.join(defaultRendererDir(), 'index.html');
  return existsSync(index) ? null : `the renderer is not built (${index} is missing): run \`npm run build:renderer\``;
}

export interface ServeFixture {
  serve: RunningServe;
  url: string;
  token: string;
  origin: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startServeFixture(dataDir = mkdtempSync(path.join(os.tmpdir(), 'sv-e2e-'))): Promise<ServeFixture> {
  const token = `test-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const serve = await startServe({ port: 0, host: '127.0.0.1', dataDir, rendererDir: defaultRendererDir(), token });
  await serve.service.engine.start();
  const url = serve.handle.url;
  return {
    serve,
    url,
    token,
    origin: new URL(url).origin,
    dataDir,
    async close() {
      await serve.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BrowserFixture {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations the page reported. */
  problems: string[];
  close(): Promise<void>;
}

export async function openChromium(viewport = { width: 1400, height: 900 }): Promise<BrowserFixture> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'sv-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** expect.poll options for what the app shows after a call or an answer. */
export const POLL = { timeout: 30_000, interval: 100 };

/** The element's text once it exists ('' while it does not). */
export async function text(l: Locator): Promise<string> {
  return (await l.count()) > 0 ? ((await l.first().textContent()) ?? '') : '';
}

/** Until `count` answers are there and none is still streaming. */
export async function waitForAnswers(page: Page, count: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelectorAll('.msg-assistant:not([aria-busy="true"])').length >= n && !document.querySelector('.msg-assistant[aria-busy="true"]'),
    count,
    { timeout },
  );
}

/** The Electron binary if `electron` is installed with its binary, else the reason it is not usable. */
export function electronBinary(): { path: string } | { reason: string } {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    pkgDir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathTxt = path.join(pkgDir, 'path.txt');
  if (!existsSync(pathTxt)) return { reason: `Electron's binary was never downloaded (${pathTxt} is missing; no network to fetch it here)` };
  try {
    const exe = path.join(pkgDir, 'dist', require('node:fs').readFileSync(pathTxt, 'utf8').trim());
    return existsSync(exe) ? { path: exe } : { reason: `Electron's binary ${exe} is missing` };
  } catch (err) {
    return { reason: (err as Error).message };
  }
}
