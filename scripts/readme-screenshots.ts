// Screenshots for the README, taken from the real app in serve mode with the embedded toy model answering questions
// about a clip of its synthetic world (so the answers mean something, unlike a random-weight checkpoint's).
//   npx tsx scripts/readme-screenshots.ts [--model DIR] [--seed N] [--copy]
// Writes test-output/readme-{library,chat,inspector}.png; --copy also puts them in assets/screenshots/.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServe } from '../engine/cli/serve.ts';
import { defaultRendererDir, packageRoot } from '../engine/service/paths.ts';
import { encodeClip, renderClip } from '../engine/core/synthetic/eval-set.ts';
import { evalItem } from '../engine/core/synthetic/questions.ts';
import { resolveFfmpeg } from '../engine/core/video/ffmpeg-path.ts';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const root = packageRoot();
const modelDir = path.resolve(opt('model') ?? path.join(root, 'assets/models/sparsevila-toy-shapes'));
const seed = Number(opt('seed') ?? 4242);
if (!existsSync(modelDir) || !readdirSync(modelDir).some((f) => f.endsWith('.safetensors'))) {
  console.error(`no model weights in ${modelDir} (pass --model DIR)`);
  process.exit(2);
}
if (!existsSync(path.join(defaultRendererDir(), 'index.html'))) {
  console.error('build the renderer first: npm run build:renderer');
  process.exit(2);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'sv-shots-'));
const out = path.join(root, 'test-output');
mkdirSync(out, { recursive: true });
const ffmpeg = resolveFfmpeg().ffmpeg;
// A few other clips first, so the library has recent videos to show.
const others = ['red-triangles.mp4', 'moving-crosses.mp4'].map((n) => path.join(work, n));
for (const [i, f] of others.entries()) await encodeClip(ffmpeg, renderClip(seed + 1 + i), f);
const video = path.join(work, 'shapes-world.mp4');
await encodeClip(ffmpeg, renderClip(seed), video);
const questions = evalItem(seed).conversation.map((q) => q.question);

const serve = await startServe({ port: 0, host: '127.0.0.1', dataDir: path.join(work, 'data'), rendererDir: defaultRendererDir(), token: `shots-${Date.now()}` });
await serve.service.engine.start();
const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
  executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
  viewport: { width: 1600, height: 940 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(serve.handle.url);
  await page.locator('.app main.center').waitFor();
  const call = (name: string, req: unknown) =>
    page.evaluate(async ([n, r]) => (await fetch(`/api/call/${n}`, { method: 'POST', body: JSON.stringify(r) })).json(), [name, req] as const);
  const added = (await call('models.addLocal', { path: modelDir })) as { ok: boolean; res: { id: string } };
  if (!added.ok) throw new Error(`models.addLocal failed: ${JSON.stringify(added)}`);
  await call('settings.set', { modelId: added.res.id, measureDense: true, maxNewTokens: 24 });
  await page.reload();
  for (const f of [...others, video]) {
    await page.locator('#video-path').fill(f);
    await page.locator('.path-form button[type=submit]').click();
    await page.locator('.video-item.active', { hasText: path.basename(f) }).waitFor({ timeout: 60_000 });
  }
  await page.locator('.filmstrip .frame-thumb').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'readme-library.png') });
  for (const [i, q] of questions.slice(0, 2).entries()) {
    await page.locator('#question').fill(q);
    await page.locator('#question').press('Enter');
    await page.waitForFunction((n) => document.querySelectorAll('.msg-assistant .stats-line').length > n, i, { timeout: 120_000 });
  }
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'readme-chat.png') });
  await page.locator('.insp-controls').getByRole('button', { name: '1', exact: true }).click();
  await page.locator('#insp-compare').selectOption('2');
  await page.getByRole('button', { name: 'Widen the side panel' }).click();
  await page.locator('.insp-columns.two .tile canvas').first().waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'readme-inspector.png') });
  for (const name of ['library', 'chat', 'inspector']) {
    console.log(path.join(out, `readme-${name}.png`));
    if (argv.includes('--copy')) copyFileSync(path.join(out, `readme-${name}.png`), path.join(root, 'assets/screenshots', `${name}.png`));
  }
} finally {
  await context.close();
  await serve.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
