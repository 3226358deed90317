// Issue 14's app end to end: Qwen2.5-VL and Qwen3-VL in the real app (serve mode, Debian Chromium, the real engine on
// the CPU), with the HF-saved fixture models made chattable (test/unit/engine/qwen-vl-chat-folder.ts) and a generated
// clip. Per family: add the folder in the model manager and use it; the settings show its rate sampling (frames per
// second, at most N frames) with the frames, size and tokens it implies; the filmstrip shows those frames; two questions
// are answered (the second after the first turn's eviction) with statistics; the inspector's tiles are the temporal
// pairs of frames that share a token grid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveFfmpeg } from '../../engine/core/video/ffmpeg-path.ts';
import { qwenVlChatFolder, type QwenVlFixtureFamily } from '../unit/engine/qwen-vl-chat-folder.ts';
import { browserUnavailable, openChromium, outputPath, POLL, rendererMissing, startServeFixture, text, waitForAnswers, type BrowserFixture, type ServeFixture } from './harness.ts';

const blocked = browserUnavailable() ?? rendererMissing();
if (blocked) console.warn(`[e2e] skipping the Qwen-VL app test: ${blocked}`);

const LABEL: Record<QwenVlFixtureFamily, string> = { qwen2_5_vl: 'Qwen2.5-VL', qwen3_vl: 'Qwen3-VL' };

describe.skipIf(blocked !== null).each(['qwen2_5_vl', 'qwen3_vl'] as QwenVlFixtureFamily[])('%s in the app (serve mode, Chromium, real engine)', (family) => {
  let fx: ServeFixture;
  let browser: BrowserFixture;
  let work: string;
  let modelDir: string;
  let videoPath: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'sv-qwen-e2e-'));
    modelDir = qwenVlChatFolder(family, path.join(work, `${family} tiny`));
    videoPath = path.join(work, 'clip.mp4');
    const { ffmpeg } = resolveFfmpeg();
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=10:duration=6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
    fx = await startServeFixture();
    browser = await openChromium({ width: 1500, height: 920 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('adds the model, samples by rate, answers two turns and pairs frames in the inspector', async () => {
    const { page, problems } = browser;
    await page.goto(fx.url);
    await page.locator('.app main.center').waitFor({ timeout: 20_000 });

    // Model manager: add the folder and use it.
    await page.getByRole('button', { name: /^Model manager/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Models' });
    await dialog.waitFor();
    await dialog.getByLabel('Model folder path').fill(modelDir);
    await dialog.getByRole('button', { name: 'Add' }).click();
    await dialog.getByRole('button', { name: 'Use it' }).waitFor({ timeout: 20_000 });
    await dialog.getByRole('button', { name: 'Use it' }).click();
    const active = dialog.locator('.model.active', { hasText: 'local folder' });
    await active.waitFor({ timeout: 20_000 });
    expect(await text(active.locator('.model-meta'))).toContain('frames by rate (2 fps, at most 768), two per token grid');
    await page.keyboard.press('Escape');

    // Settings: the family's rate sampling instead of a frame count; short answers keep the test fast.
    await page.getByRole('tab', { name: 'Settings' }).click();
    await expect.poll(() => text(page.locator('.settings')), POLL).toContain(`${LABEL[family]} samples frames by rate`);
    expect(await page.locator('#set-frames').count()).toBe(0);
    await page.locator('#set-rate-max-frames').fill('8');
    await page.locator('#set-max').fill('4');

    // Open the clip: 6 s at 2 fps would be 12 frames, at most 8; the filmstrip shows the frames the model gets.
    await page.locator('#video-path').fill(videoPath);
    await page.locator('.path-form button[type=submit]').click();
    await expect.poll(() => text(page.locator('.video-item.active')), POLL).toContain('clip.mp4');
    await expect.poll(() => page.locator('.filmstrip .frame-thumb').count(), POLL).toBe(8);
    await expect.poll(() => text(page.getByTestId('frames-implied')), POLL).toMatch(/^8 frames at \d+x\d+ · 4 frame pairs × \d+ tokens = \d+ visual tokens, about \d+ kept · memory /);
    expect(await text(page.locator('.composer-foot'))).toContain('8 frames by rate');
    await page.screenshot({ path: outputPath(`app-${family}-settings.png`) });

    // Two questions; the second runs after the first turn's question and answer were evicted from the cache.
    await page.getByRole('tab', { name: 'Inspector' }).click();
    const box = page.locator('#question');
    await box.fill('What is shown first?');
    await box.press('Enter');
    await waitForAnswers(page, 1, 90_000);
    await box.fill('And at the end?');
    await box.press('Enter');
    await waitForAnswers(page, 2, 90_000);
    const answers = page.locator('.msg-assistant');
    for (const i of [0, 1]) {
      expect(await answers.nth(i).getAttribute('class')).not.toContain('error');
      expect(await text(answers.nth(i).locator('.stats-line'))).toContain('kept');
    }

    // The inspector: one tile per temporal pair of frames, named and timed by both.
    await page.locator('.turn-view[data-turn="2"] .tile canvas').first().waitFor({ timeout: 20_000 });
    const labels = await page.locator('.turn-view[data-turn="2"] .tile canvas').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(labels).toHaveLength(4);
    expect(labels[0]).toMatch(/^Frames 1–2 at \S+–\S+: \d+ of \d+ tokens kept/);
    expect(labels[3]).toMatch(/^Frames 7–8 at /);
    await page.screenshot({ path: outputPath(`app-${family}-inspector.png`) });
    expect(problems).toEqual([]);
  }, 240_000);
});
