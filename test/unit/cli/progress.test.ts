import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatCommand } from '../../../engine/cli/chat.ts';
import { progressWriter } from '../../../engine/cli/progress.ts';

function stream(isTTY: boolean) {
  const out: string[] = [];
  return { out, s: { isTTY, write: (x: string | Uint8Array) => { out.push(String(x)); return true; } } };
}

describe('CLI progress', () => {
  it('off a terminal: whole lines, no \\r redraws; first and last step, and at most one a second between', () => {
    const { out, s } = stream(false);
    let now = 0;
    const p = progressWriter(s, () => now);
    for (let d = 0; d <= 10; d++) { now = d * 300; p.progress('vision', d, 10); }
    p.line('done\n');
    const text = out.join('');
    expect(text).not.toContain('\r');
    expect(text.split('\n').filter(Boolean)).toEqual(['vision 0/10', 'vision 4/10', 'vision 8/10', 'vision 10/10', 'done']);
  });

  it('on a terminal: redrawn in place, and a line after it starts on a new line', () => {
    const { out, s } = stream(true);
    const p = progressWriter(s);
    p.progress('vision', 1, 2);
    p.progress('vision', 2, 2);
    p.line('ready\n');
    expect(out.join('')).toBe('\rvision 1/2\rvision 2/2\nready\n');
  });
});

describe('sparsevila chat --video', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sv-chat-video-'));
  // A model folder that does not exist: the video check must come first, before loading the model.
  const run = (video: string) => chatCommand(['--model', path.join(dir, 'no-model'), '--video', video, '--backend', 'cpu']);

  it('refuses a missing file, a folder and an unreadable file before loading the model', async () => {
    await expect(run(path.join(dir, 'missing.mp4'))).rejects.toThrow(/missing\.mp4: no such file/);
    await expect(run(dir)).rejects.toThrow(/not a file \(a folder\)/);
    const locked = path.join(dir, 'locked.mp4');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    if (process.getuid?.() !== 0) await expect(run(locked)).rejects.toThrow(/not readable/);
    chmodSync(locked, 0o644);
    // A readable file gets past the check: the error is now the model's.
    await expect(run(locked)).rejects.toThrow(/no-model/);
    rmSync(dir, { recursive: true, force: true });
  });
});
