// The composer's counter: how many tokens the question being typed takes of the turn's room (measured by the server
// with the model's tokenizer), refreshed a moment after typing stops.
import { useEffect, useState } from 'react';
import type { CallRes, Settings } from '../../../electron/contract.ts';
import { useApi } from './api.ts';

export type QuestionBudget = CallRes<'chat.measure'>;

export function useQuestionBudget(conversationId: string | null, question: string, settings: Settings | null, version = 0): QuestionBudget | null {
  const api = useApi();
  const [budget, setBudget] = useState<QuestionBudget | null>(null);
  const key = settings ? JSON.stringify(settings) : '';
  useEffect(() => {
    if (!settings) {
      setBudget(null);
      return;
    }
    let alive = true;
    const t = window.setTimeout(() => {
      api.call('chat.measure', { conversationId: conversationId ?? undefined, question, settings }).then(
        (b) => alive && setBudget(b),
        () => alive && setBudget(null),
      );
    }, 250);
    return () => {
      alive = false;
      window.clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for settings
  }, [api, conversationId, question, key, version]);
  return budget;
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
