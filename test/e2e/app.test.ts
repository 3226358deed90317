// Issue #7's end-to-end test: the real app in serve mode, driven in Debian Chromium like a person would.
// A small random-weight checkpoint (make-checkpoint) and a lavfi clip are generated here; the real engine answers.
// Open a video, add the model in the model manager, ask two questions, stop a third answer, and check that the
// inspector draws something different for different turns. Issue 16's chat and layout behaviour is checked on the way:
// relative paths and duplicate model folders refused, no silent model switch, focus kept in dialogs (Esc closes them),
// the composer's token counter and up-front refusal, Enter while streaming, the list kept at the bottom, edit + undo,
// regenerate at temperature 0, the compare view fitting at 1024 and 1440 px, hiding the library, deleting through the
// app's own dialog. Screenshots of library, chat and inspector go to test-output/ (assets/screenshots/ holds the copies
// the README shows).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { makeCheckpoint } from '../../engine/core/checkpoint/make-checkpoint.ts';
import { resolveFfmpeg } from '../../engine/core/video/ffmpeg-path.ts';
import { browserUnavailable, openChromium, outputPath, POLL, rendererMissing, startServeFixture, text, waitForAnswers, type BrowserFixture, type ServeFixture } from './harness.ts';

const blocked = browserUnavailable() ?? rendererMissing();
if (blocked) console.warn(`[e2e] skipping the app test: ${blocked}`);

/** Every tile canvas of the inspector column on screen, as pixels: changes when any token's class changes. */
async function inspectorPixels(page: Page): Promise<string> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLCanvasElement>('.insp-col:first-child .tile canvas')].map((c) => c.toDataURL()).join('|'),
  );
}

describe.skipIf(blocked !== null)('SparseVILA Desktop in serve mode (Chromium, real engine)', () => {
  let fx: ServeFixture;
  let browser: BrowserFixture;
  let work: string;
  let modelDir: string;
  let videoPath: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'sv-app-e2e-'));
    modelDir = path.join(work, 'model small');
    makeCheckpoint(modelDir, { preset: 'small', seed: 7 });
    videoPath = path.join(work, 'clip – test.mp4');
    const { ffmpeg } = resolveFfmpeg();
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25:duration=12', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
    fx = await startServeFixture();
    browser = await openChromium({ width: 1500, height: 920 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('opens a video, answers two questions, stops a third, the inspector follows the turns, and re-asks under dense', async () => {
    const { page, problems } = browser;
    await page.goto(fx.url);
    await page.locator('.app main.center').waitFor({ timeout: 20_000 });

    // First run: "Try a demo video" makes the shapes-world clip and opens it.
    await page.getByRole('button', { name: 'Try a demo video' }).click();
    await expect.poll(() => text(page.locator('.video-item.active')), POLL).toContain('shapes-world-demo.mp4');

    // Model manager: add the generated checkpoint as a local folder and use it.
    await page.getByRole('button', { name: /^Model manager/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Models' });
    await dialog.waitFor();
    await dialog.getByLabel('Model folder path').fill(path.join(work, 'not-a-model'));
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => text(dialog.getByRole('alert')), POLL).toMatch(/not-a-model|not found|does not exist|no such/i);
    // A relative path is refused with a hint (issue 16 item 10).
    await dialog.getByLabel('Model folder path').fill('models/small');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => text(dialog.getByRole('alert')), POLL).toMatch(/relative path: use the full \(absolute\) path/);
    await dialog.getByLabel('Model folder path').fill(modelDir);
    await dialog.getByRole('button', { name: 'Add' }).click();
    // Added, but not switched to silently: the app offers it.
    await dialog.getByRole('button', { name: 'Use it' }).waitFor({ timeout: 20_000 });
    expect(await dialog.locator('.model.active', { hasText: 'local folder' }).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Use it' }).click();
    await dialog.locator('.model.active', { hasText: 'local folder' }).waitFor({ timeout: 20_000 });
    // The same folder again (written with a trailing slash) is not a second entry.
    const listed = await dialog.locator('.model').count();
    await dialog.getByLabel('Model folder path').fill(`${modelDir}/`);
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => text(dialog.getByRole('alert')), POLL).toMatch(/already in the list/);
    expect(await dialog.locator('.model').count()).toBe(listed);
    // Focus stays in the dialog (Tab wraps), so Esc closes it from wherever focus went.
    for (let i = 0; i < 25; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('[role=dialog]')))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog', { name: 'Models' }).count(), POLL).toBe(0);

    // Settings: few frames and short answers keep the test fast.
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('group', { name: 'Frame presets' }).getByRole('button', { name: '8', exact: true }).click();
    await page.locator('#set-frames').fill('4');
    await page.locator('#set-max').fill('8');

    // Library: a path that does not open says why and stays in the box to be corrected.
    const typo = path.join(work, 'clip – tset.mp4');
    await page.locator('#video-path').fill(typo);
    await page.locator('.path-form button[type=submit]').click();
    await expect.poll(() => text(page.locator('.toast')), POLL).toMatch(/Could not open the video: .*not found/);
    expect(await page.locator('#video-path').inputValue()).toBe(typo);
    await page.locator('.toast button').first().click();

    // Library: a relative path is refused with a hint, and stays to be corrected.
    await page.locator('#video-path').fill('videos/clip.mp4');
    await page.locator('.path-form button[type=submit]').click();
    await expect.poll(() => text(page.locator('.path-form [role=alert]')), POLL).toMatch(/relative path/);
    expect(await page.locator('#video-path').inputValue()).toBe('videos/clip.mp4');

    // Library: open the clip by path; the filmstrip fills with its sampled frames.
    await page.locator('#video-path').fill(videoPath);
    await page.locator('.path-form button[type=submit]').click();
    await expect.poll(() => text(page.locator('.video-item.active')), POLL).toContain('clip – test.mp4');
    await page.locator('.filmstrip .frame-thumb').nth(3).waitFor({ timeout: 30_000 });
    expect(await page.locator('.filmstrip .frame-thumb').count()).toBe(4);
    await page.screenshot({ path: outputPath('app-library.png') });

    // The filmstrip seeks the player to the frame's time.
    await page.locator('.filmstrip .frame-thumb').nth(2).click();
    const seekTo = await page.evaluate(() => (document.querySelector('video') as HTMLVideoElement).currentTime);
    expect(seekTo).toBeGreaterThan(5);
    expect(seekTo).toBeLessThan(8);

    // Watch for the preparation progress bar (decode / vision / prefill) of the first question.
    await page.evaluate(() => {
      const w = window as unknown as { sawProgress: boolean };
      w.sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('.progress [role=progressbar]')) w.sawProgress = true;
      }).observe(document.body, { subtree: true, childList: true });
    });

    // Two questions, each streamed to the end with its statistics.
    await page.getByRole('tab', { name: 'Inspector' }).click();
    const box = page.locator('#question');
    await page.keyboard.press('Control+k');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('question');
    await box.fill('What is shown in the first seconds?');
    await box.press('Enter');
    await waitForAnswers(page, 1);
    await box.fill('Which colours appear at the end?');
    await box.press('Enter');
    await waitForAnswers(page, 2);
    expect(await page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress)).toBe(true);

    // The composer counts the question against the turn's room; a too-long one is refused up front, in plain words,
    // stays in the box and uses no turn (issue 16 item 6).
    await box.fill('How many squares?');
    await expect.poll(() => text(page.getByTestId('question-size')), POLL).toMatch(/^\d+ \/ \d+ tokens/);
    const tooLong = 'describe the red square and the blue circle again '.repeat(380);
    await box.fill(tooLong);
    await expect.poll(() => text(page.getByTestId('question-size')), POLL).toMatch(/Too long to send/);
    await box.press('Enter');
    await expect.poll(() => text(page.locator('.refusal')), POLL).toMatch(/Not sent: the question is too long\..*at most \d+ tokens fit/);
    expect(await box.inputValue()).toBe(tooLong);
    expect(await page.locator('.msg-user').count()).toBe(2);
    await page.locator('.refusal button').click();
    const answers = page.locator('.msg-assistant');
    expect(await text(answers.nth(0).locator('.stats-line'))).toMatch(/first token\s*after/);
    expect(await text(answers.nth(1).locator('.stats-line'))).toContain('kept');

    // The inspector follows the latest turn; turn 1 looks different (its question retrieved other tokens).
    await page.locator('.turn-view[data-turn="2"] .tile canvas').first().waitFor({ timeout: 20_000 });
    const turn2 = await inspectorPixels(page);
    await page.locator('.insp-controls').getByRole('button', { name: '1', exact: true }).click();
    await page.locator('.turn-view[data-turn="1"]').waitFor();
    const turn1 = await inspectorPixels(page);
    expect(turn1.length).toBeGreaterThan(0);
    expect(turn1).not.toBe(turn2);

    // A third question with a long answer, stopped with Esc.
    await page.locator('#tab-settings').click();
    await page.locator('#set-max').fill('4000');
    // The paper's protocol (no history): this random-weight model then writes a long answer to stop.
    await page.locator('#set-history').selectOption('none');
    await page.locator('#tab-inspector').click();
    await box.fill('Describe everything in detail.');
    await box.press('Enter');
    const third = answers.nth(2);
    await expect.poll(() => third.getAttribute('aria-busy'), POLL).toBe('true');
    await page.waitForFunction(() => (document.querySelectorAll('.msg-assistant')[2]?.textContent ?? '').replace('Thinking…', '').length > 0, undefined, { timeout: 60_000 });
    // Enter while the answer streams says why nothing was sent; the question stays (issue 16 item 6).
    await box.fill('And then?');
    await box.press('Enter');
    await expect.poll(() => text(page.locator('.composer-note')), POLL).toMatch(/Not sent yet: an answer is still being written/);
    expect(await box.inputValue()).toBe('And then?');
    // The list stays at the bottom while the answer grows (issue 16 item 8). Polled: a token can land between the
    // list's scroll and a single reading (seen once in CI: 83 px, one token's growth).
    await expect.poll(() => page.evaluate(() => {
      const el = document.querySelector('.messages')!;
      return el.scrollHeight - el.scrollTop - el.clientHeight;
    }), POLL).toBeLessThan(40);
    await box.fill('');
    await page.keyboard.press('Escape');
    await expect.poll(() => text(third.locator('.badge-warn')), POLL).toBe('Stopped');
    await page.screenshot({ path: outputPath('app-chat.png') });

    // Turns 1 and 2 side by side in the wide inspector.
    await page.locator('#tab-settings').click();
    await page.locator('#set-max').fill('8');
    await page.locator('#tab-inspector').click();
    await page.locator('.insp-controls').getByRole('button', { name: '1', exact: true }).click();
    await page.locator('#insp-compare').selectOption('2');
    await page.getByRole('button', { name: 'Widen the side panel' }).click();
    await page.locator('.insp-columns.two .turn-view[data-turn="2"]').waitFor();

    // "Re-ask & compare": turn 1's question again under dense, shown beside turn 1 once answered.
    await page.locator('#reask-policy').selectOption('dense');
    await page.getByRole('button', { name: 'Re-ask & compare' }).click();
    await waitForAnswers(page, 4);
    const denseCol = page.locator('.insp-columns.two .insp-col').nth(1);
    await expect.poll(() => text(denseCol.locator('.turn-head')), POLL).toMatch(/Turn \d+\s*dense/);
    expect(await text(denseCol.locator('.turn-q'))).toContain('What is shown in the first seconds?');
    expect(await text(page.locator('.insp-columns.two .insp-col').nth(0).locator('.turn-head'))).toMatch(/Turn 1\s*sparsevila/);
    await page.screenshot({ path: outputPath('app-inspector.png') });

    // Edit-and-resend the last question: its old answer is replaced, earlier turns stay.
    const lastUser = page.locator('.msg-user').nth(3);
    await lastUser.hover();
    await lastUser.getByRole('button', { name: 'Edit' }).click();
    await lastUser.getByLabel('Edit question').fill('What is shown at the end?');
    await lastUser.getByRole('button', { name: 'Save & resend' }).click();
    await expect.poll(() => text(page.locator('.msg-user').nth(3)), POLL).toContain('What is shown at the end?');
    await waitForAnswers(page, 4);
    expect(await page.locator('.msg-assistant').count()).toBe(4);
    // The edit says what it replaced and can be undone (issue 16 item 5).
    const edited = page.locator('.msg-user').nth(3);
    await expect.poll(() => text(edited.locator('.replaced-note')), POLL).toContain('This replaced the previous version of this turn');
    await edited.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => text(page.locator('.msg-user').nth(3)), POLL).toContain('What is shown in the first seconds?');
    expect(await page.locator('.msg-assistant').count()).toBe(4);
    // Regenerate at temperature 0 says the answer would be the same and offers a temperature.
    await page.locator('.msg-assistant').nth(3).getByRole('button', { name: 'Regenerate', exact: true }).click();
    await expect.poll(() => text(page.getByRole('group', { name: 'Regenerate how' })), POLL).toMatch(/same settings give the same answer/);
    await page.getByRole('group', { name: 'Regenerate how' }).getByRole('button', { name: 'Same settings' }).waitFor();
    await page.locator('.msg-assistant').nth(3).getByRole('button', { name: 'Regenerate', exact: true }).click();

    // State survives a reload: the same video and conversation come back.
    await page.reload();
    await expect.poll(() => page.locator('.msg-assistant').count(), POLL).toBe(4);
    expect(await text(page.locator('.msg-assistant').nth(2).locator('.badge-warn'))).toBe('Stopped');

    // "+ New" gives a blank page; pressing it again does not pile up empty conversations.
    const serverConvs = () => page.evaluate(async () => {
      const call = async (n: string, r: unknown) => (await (await fetch(`/api/call/${n}`, { method: 'POST', body: JSON.stringify(r) })).json()).res;
      const [v] = await call('videos.recent', {});
      return (await call('conversations.list', { videoId: v.id })).length as number;
    });
    const convs = await serverConvs();
    await page.getByRole('button', { name: '+ New' }).click();
    await page.getByRole('button', { name: '+ New' }).click();
    await expect.poll(() => page.locator('.msg-assistant').count(), POLL).toBe(0);
    expect(await serverConvs()).toBe(convs);
    await page.locator('.conv-list .conv-open').first().click();
    await expect.poll(() => page.locator('.msg-assistant').count(), POLL).toBe(4);

    // At 1024 px the compare view fits its panel; the library can be hidden to give it room (issue 16 item 8).
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByRole('tab', { name: 'Inspector' }).click();
    const overflow = () => page.evaluate(() => {
      const body = document.querySelector('.side-body')!;
      return [...body.querySelectorAll('.insp-col, .counts, .turn-summary')].filter((e) => e.getBoundingClientRect().right > body.getBoundingClientRect().right + 1).length;
    });
    expect(await overflow()).toBe(0);
    await page.getByRole('button', { name: 'Hide the library' }).click();
    expect(await page.locator('nav.library').count()).toBe(0);
    expect(await overflow()).toBe(0);
    await page.getByRole('button', { name: 'Show the library' }).click();
    await page.locator('nav.library').waitFor();
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(await overflow()).toBe(0);

    // Deleting asks in the app's own dialog; Esc there closes it and deletes nothing (issue 16 item 10).
    const convCount = await page.locator('.conv-list .conv').count();
    await page.locator('.conv-list .conv').first().hover();
    await page.locator('.conv-list .conv-del').first().click();
    const confirmDialog = page.getByRole('dialog', { name: 'Delete this conversation?' });
    await confirmDialog.waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => confirmDialog.count(), POLL).toBe(0);
    expect(await page.locator('.conv-list .conv').count()).toBe(convCount);

    expect(problems.filter((p) => /Content Security Policy|Refused to|page error/i.test(p))).toEqual([]);
  }, 180_000);
});
