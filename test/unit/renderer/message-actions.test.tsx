// An edited turn offers to undo the edit and says what it replaced; regenerating a greedy answer (temperature 0) first
// says it would be the same and offers a temperature.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ChatMessage } from '../../../electron/contract.ts';
import { Message } from '../../../renderer/src/components/Message.tsx';

const user: ChatMessage = { id: 'u', role: 'user', text: 'What is red?', createdAt: 0 };
const answer: ChatMessage = { id: 'a', role: 'assistant', text: 'A square.', createdAt: 0, status: 'done' };
const render = (m: ChatMessage, extra: Partial<Parameters<typeof Message>[0]> = {}) =>
  renderToStaticMarkup(<Message m={m} durationSec={10} busy={false} inspected={false} onSeek={() => {}} {...extra} />);

describe('message actions', () => {
  it('an edited turn says what it replaced and offers Undo', () => {
    const html = render(user, { onEdit: () => {}, replaced: { later: 2, onUndo: () => {} } });
    expect(html).toContain('This replaced the previous version of this turn and 2 later messages.');
    expect(html).toMatch(/<button class="act"[^>]*>Undo<\/button>/);
    expect(render(user, { onEdit: () => {} })).not.toContain('Undo');
  });
  it('regenerate at temperature 0 opens a choice instead of silently giving the same answer', () => {
    expect(render(answer, { onRegenerate: () => {}, greedy: true })).toMatch(/aria-expanded="false"[^>]*>Regenerate</);
    expect(render(answer, { onRegenerate: () => {}, greedy: false })).not.toContain('aria-expanded');
  });
});
