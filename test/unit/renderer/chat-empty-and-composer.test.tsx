// An empty conversation suggests questions the model can answer: the built-in toy model only knows its shapes world.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ModelInfo, SparseVilaApi } from '../../../electron/contract.ts';
import { Chat } from '../../../renderer/src/components/Chat.tsx';
import { ApiContext } from '../../../renderer/src/state/api.ts';
import { budgetText } from '../../../renderer/src/state/useQuestionBudget.ts';
import type { Session } from '../../../renderer/src/state/useSession.ts';

const model = (source: ModelInfo['source']): ModelInfo => ({
  id: 'm', name: source === 'embedded' ? 'sparsevila-toy-shapes' : 'llava-onevision-qwen2-0.5b-ov-hf', path: '/m', architecture: 'LlavaOnevisionForConditionalGeneration',
  source, parameters: 1, dtype: 'bf16', precision: 'bf16', weightCounts: { dense: 1, q4: 0, q4Groups: 0 }, diskBytes: 2, gpuBytes: 2,
  tokensPerFrame: 16, description: '',
});
const session = {
  video: { durationSec: 16 }, conversation: null, streamingId: null, progress: null,
} as unknown as Session;
const api = { call: () => new Promise(() => {}), on: () => () => {} } as unknown as SparseVilaApi;
const chat = (m: ModelInfo | null) => renderToStaticMarkup(
  <ApiContext.Provider value={api}>
    <Chat session={session} settings={null} model={m} estimate={null} inspectedTurn={null} inputRef={null} onSeek={() => {}} onInspect={() => {}} />
  </ApiContext.Provider>,
);

describe('starter questions', () => {
  it('the built-in toy model: questions of its world, and a word on its limits', () => {
    const html = chat(model('embedded'));
    expect(html).toContain('what shape is the red object ?');
    expect(html).toContain('only knows videos of coloured shapes');
    expect(html).not.toContain('What happens in this video?');
  });
  it('the toy model added as a local folder is still the toy model', () => {
    expect(chat({ ...model('local'), name: 'sparsevila-toy-shapes' })).toContain('which colour appeared first ?');
  });
  it('a real model: general questions, no note', () => {
    const html = chat(model('local'));
    expect(html).toContain('What happens in this video?');
    expect(html).not.toContain('only knows');
  });
});

describe('memory line under the question box', () => {
  it('once the model is loaded, shows what is still needed against what is free', async () => {
    const { memoryText } = await import('../../../renderer/src/components/Chat.tsx');
    const e = { weightsBytes: 4 * 2 ** 30, kvBytes: 100 * 2 ** 20, activationBytes: 20 * 2 ** 20, availableBytes: 3 * 2 ** 30, fits: true, message: '' };
    expect(memoryText(e)).toBe('memory 4.1 GiB of 3.0 GiB');
    expect(memoryText({ ...e, weightsLoaded: true })).toBe('memory +120 MiB of 3.0 GiB free (model loaded)');
  });
});

describe('question size under the question box', () => {
  it('counts against the limit, says plainly when it is too long and when older turns give way', () => {
    expect(budgetText({ questionTokens: 12, maxQuestionTokens: 1776, historyTurns: 2, historyDropped: 0 })).toEqual({ text: '12 / 1776 tokens', over: false, note: null });
    const over = budgetText({ questionTokens: 2100, maxQuestionTokens: 1776, historyTurns: 0, historyDropped: 0 });
    expect(over.over).toBe(true);
    expect(over.note).toBe('Too long to send: at most 1776 tokens fit with room for the answer.');
    expect(over.note).not.toMatch(/capacity|slots/);
    expect(budgetText({ questionTokens: 30, maxQuestionTokens: 1776, historyTurns: 5, historyDropped: 2 }).note).toBe('The 2 oldest earlier turns will not be seen (no room).');
  });
});

describe('welcome', () => {
  it('offers the demo video', async () => {
    const { Welcome } = await import('../../../renderer/src/components/Welcome.tsx');
    expect(renderToStaticMarkup(<Welcome serveMode hasRecent={false} onDemo={async () => true} />)).toContain('Try a demo video');
    expect(renderToStaticMarkup(<Welcome serveMode hasRecent={false} />)).not.toContain('Try a demo video');
  });
});
