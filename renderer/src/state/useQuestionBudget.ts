// The composer's counter: how many tokens the question being typed takes of the turn's room (measured by the server
// with the model's tokenizer), refreshed a moment after typing stops.
import type { CallRes, Settings } from '../../../electron/contract.ts';
import { useDebouncedCall } from './useDebouncedCall.ts';

export type QuestionBudget = CallRes<'chat.measure'>;

export function useQuestionBudget(conversationId: string | null, question: string, settings: Settings | null, version = 0): QuestionBudget | null {
  const req = settings ? { conversationId: conversationId ?? undefined, question, settings } : null;
  return useDebouncedCall('chat.measure', req, JSON.stringify([req, version]));
}

/** "12 / 1776 tokens" under the composer, and whether the question is over the limit. */
export function budgetText(b: QuestionBudget): { text: string; over: boolean; note: string | null } {
  const over = b.questionTokens > b.maxQuestionTokens;
  const note = over
    ? `Too long to send: at most ${b.maxQuestionTokens} tokens fit with room for the answer.`
    : b.historyDropped > 0
      ? `The ${b.historyDropped === 1 ? 'oldest earlier turn' : `${b.historyDropped} oldest earlier turns`} will not be seen (no room).`
      : null;
  return { text: `${b.questionTokens} / ${b.maxQuestionTokens} tokens`, over, note };
}
