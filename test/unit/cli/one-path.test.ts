// One conversation loop: `bench`, `chat`, `eval` and the app's engine (also serve mode's) serve every turn with the
// same session class and policy class, run here on the CPU backend with a generated small checkpoint (synthetic
// weights for bench).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../electron/contract.ts';
import { benchCommand } from '../../../engine/cli/bench.ts';
import { chatCommand } from '../../../engine/cli/chat.ts';
import { runEval } from '../../../engine/cli/eval.ts';
import { makeCheckpoint } from '../../../engine/core/checkpoint/make-checkpoint.ts';
import { loadModel } from '../../../engine/core/models/load-model.ts';
import { ChatSession } from '../../../engine/core/session/chat-session.ts';
import { SparsePolicy } from '../../../engine/core/sparse/session-policy.ts';
import { ChatSessions } from '../../../engine/service/engine-host/chat-sessions.ts';
import { makeClip, tmpDir } from '../service/fixture.ts';

let work: string, modelDir: string, clip: string;
beforeAll(() => {
  work = tmpDir('sv-one-path-');
  modelDir = path.join(work, 'model');
  makeCheckpoint(modelDir, { preset: 'tiny', seed: 5 });
  clip = makeClip(work, 'clip.mp4', 2);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Records the class of the session and of its policy for every turn served (ask and askTokens both end there). */
function servedTurns(): string[] {
  const served: string[] = [];
  const proto = ChatSession.prototype as unknown as { runTurn: (...a: unknown[]) => Promise<unknown> };
  const runTurn = proto.runTurn;
  vi.spyOn(proto, 'runTurn').mockImplementation(function (this: ChatSession, ...args: unknown[]) {
    served.push(`${this.constructor.name}+${this.policy.constructor.name}`);
    return runTurn.apply(this, args);
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  vi.spyOn(console, 'log').mockImplementation(() => {});
  return served;
}

const ONE_PATH = `${ChatSession.name}+${SparsePolicy.name}`;

describe('bench, chat, eval and the app run one conversation loop', () => {
  it('sparsevila bench: every turn of every config', async () => {
    const served = servedTurns();
    const rc = await benchCommand(['--synthetic', 'tiny', '--backend', 'cpu', '--frames', '1', '--turns', '2', '--new-tokens', '2',
      '--configs', 'dense,0.5:0.5', '--no-warmup', '--json']);
    expect(rc).toBe(0);
    expect(served).toEqual(new Array(4).fill(ONE_PATH));
  }, 60_000);

  it('sparsevila chat', async () => {
    const served = servedTurns();
    const rc = await chatCommand(['--model', modelDir, '--video', clip, '--frames', '2', '--backend', 'cpu', '--no-cache',
      '--max-new-tokens', '2', '--json'], { input: Readable.from(['what is it?\n', 'and then?\n']) });
    expect(rc).toBe(0);
    expect(served).toEqual([ONE_PATH, ONE_PATH]);
  }, 60_000);

  it('sparsevila eval', async () => {
    const served = servedTurns();
    const model = await loadModel(modelDir, { backend: 'cpu' });
    const q = (question: string) => ({ type: 'color', question, answer: 'red' }) as never;
    const set = { world: 'test', fps: 10, frames: 20, size: 320, items: [{ seed: 1, video: 'clip.mp4', single: [q('what colour?')], conversation: [q('which one?'), q('and now?')] }] };
    try {
      const r = await runEval(model, set, work, { frames: 2, single: 1, configs: [{ policy: 'dense', prefillSparsity: 0, decodeSparsity: 0 }, { policy: 'sparsevila', prefillSparsity: 0.5, decodeSparsity: 0.5 }] });
      expect(r.configs).toHaveLength(2);
    } finally {
      model.dispose();
    }
    expect(served).toEqual(new Array(5).fill(ONE_PATH)); // 2 conversation turns per config + 1 single-turn (dense)
  }, 60_000);

  it('the app engine (serve mode runs the same engine process)', async () => {
    const served = servedTurns();
    const sessions = new ChatSessions();
    const settings = { ...DEFAULT_SETTINGS, backend: 'cpu' as const, frames: 2, maxNewTokens: 2, prefillSparsity: 0.5, decodeSparsity: 0.5 };
    try {
      await sessions.prepare({ sessionId: 's', modelPath: modelDir, videoPath: clip, settings }, () => {});
      await sessions.ask({ sessionId: 's', turn: 1, question: 'what is it?', history: [], settings }, () => {});
    } finally {
      sessions.dispose();
    }
    expect(served).toEqual([ONE_PATH]);
  }, 60_000);
});
