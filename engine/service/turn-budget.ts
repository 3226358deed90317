// How much of a turn's room a question takes, measured with the model's own tokenizer before anything is sent: the
// composer shows it, a question that cannot fit is refused up front in plain words (no turn is used), and the text
// history of earlier turns is cut from the oldest so that a long conversation never overflows the turn's room.
import { TextTokenizer } from '../core/tokenizer/tokenizer.ts';
import { DEFAULT_TURN_CAPACITY } from '../core/session/chat-session.ts';
import type { HistoryTurn } from '../core/session/prompt.ts';
import type { Settings } from '../../electron/contract.ts';

/** Template text around a question ("<|im_end|>\n<|im_start|>assistant\n") and around each earlier turn: an upper bound. */
const QUESTION_WRAP_TOKENS = 16;
const HISTORY_WRAP_TOKENS = 12;

export interface TurnPlan {
  questionTokens: number;
  /** The most tokens a question may have (the turn's room less the answer's); earlier turns give way to it. */
  maxQuestionTokens: number;
  /** The earlier turns the model will see with this question (the oldest are left out when they do not all fit). */
  history: HistoryTurn[];
  historyDropped: number;
}

/** Room kept for the answer: as many tokens as it may write, up to half the turn. */
export function answerRoom(settings: Pick<Settings, 'maxNewTokens'>, capacity = DEFAULT_TURN_CAPACITY): number {
  return Math.min(settings.maxNewTokens, Math.floor(capacity / 2));
}

export class TurnBudget {
  private tokenizers = new Map<string, TextTokenizer>();

  constructor(private readonly capacity = DEFAULT_TURN_CAPACITY) {}

  /** Tokenizers stay loaded for the last two models asked about (reading tokenizer.json takes a moment). */
  private tokenizer(modelPath: string): TextTokenizer {
    let tok = this.tokenizers.get(modelPath);
    if (!tok) {
      tok = TextTokenizer.load(modelPath);
      this.tokenizers.set(modelPath, tok);
      while (this.tokenizers.size > 2) this.tokenizers.delete(this.tokenizers.keys().next().value as string);
    }
    return tok;
  }

  plan(modelPath: string, settings: Pick<Settings, 'maxNewTokens' | 'history'>, question: string, history: readonly HistoryTurn[]): TurnPlan {
    const tok = this.tokenizer(modelPath);
    const questionTokens = tok.encode(question.trim()).length;
    const maxQuestionTokens = Math.max(0, this.capacity - answerRoom(settings, this.capacity) - QUESTION_WRAP_TOKENS);
    let room = maxQuestionTokens - questionTokens;
    const kept: HistoryTurn[] = [];
    if (settings.history === 'text') {
      // Newest first: the turn just before this question matters most to a follow-up.
      for (let i = history.length - 1; i >= 0; i--) {
        const h = history[i];
        const cost = tok.encode(h.question).length + tok.encode(h.answer).length + HISTORY_WRAP_TOKENS;
        if (cost > room) break;
        room -= cost;
        kept.unshift(h);
      }
    }
    return { questionTokens, maxQuestionTokens, history: kept, historyDropped: settings.history === 'text' ? history.length - kept.length : 0 };
  }
}

/** The refusal for a question that cannot fit, in the words the composer shows. */
export function tooLongMessage(p: Pick<TurnPlan, 'questionTokens' | 'maxQuestionTokens'>): string {
  return `This question is too long: it is ${p.questionTokens} tokens and at most ${p.maxQuestionTokens} fit, with room left for the answer. Shorten it, or lower “Max new tokens” in Settings.`;
}
