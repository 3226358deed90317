// Renders a chat template (a model folder's, so untrusted) with limits: range() sizes, evaluation steps, wall time and
// output size. @huggingface/jinja has none: `range(100000000)` builds the whole list and a loop can run for ever.
import { Environment, Interpreter, type Template } from '@huggingface/jinja';

export const TEMPLATE_LIMITS = {
  rangeItems: 100_000,
  steps: 1_000_000,
  ms: 2_000,
  chars: 4_000_000,
};

export class TemplateLimitError extends Error {
  override name = 'TemplateLimitError';
  constructor(msg: string) {
    super(`chat template: ${msg}`);
  }
}

type Evaluated = ReturnType<Interpreter['evaluate']>;

/** Counts work: every evaluation, and every item a range() hands out (a loop over it may have an empty body, which
 *  the interpreter runs without evaluating anything). */
class Budget {
  private steps = 0;
  private readonly deadline = performance.now() + TEMPLATE_LIMITS.ms;

  spend(n: number): void {
    this.steps += n;
    if (this.steps > TEMPLATE_LIMITS.steps) throw new TemplateLimitError(`stopped after ${TEMPLATE_LIMITS.steps} steps (a loop that does not end?)`);
    if (performance.now() > this.deadline) throw new TemplateLimitError(`stopped after ${TEMPLATE_LIMITS.ms} ms (a loop that does not end?)`);
  }
}

class LimitedInterpreter extends Interpreter {
  constructor(env: Environment, private budget: Budget) {
    super(env);
  }

  override evaluate(...args: Parameters<Interpreter['evaluate']>): Evaluated {
    this.budget.spend(1);
    const out = super.evaluate(...args);
    if (typeof out.value === 'string' && out.value.length > TEMPLATE_LIMITS.chars) {
      throw new TemplateLimitError(`output over ${TEMPLATE_LIMITS.chars} characters`);
    }
    return out;
  }
}

function boundedRange(budget: Budget) {
  return (start: number, stop?: number, step = 1): number[] => {
    if (stop === undefined) [start, stop] = [0, start];
    if (step === 0) throw new Error('range() step must not be zero');
    const items = Math.max(0, Math.ceil((stop - start) / step));
    if (!(items <= TEMPLATE_LIMITS.rangeItems)) throw new TemplateLimitError(`range() of ${items} items is over the limit (${TEMPLATE_LIMITS.rangeItems})`);
    budget.spend(items);
    return Array.from({ length: items }, (_, i) => start + i * step);
  };
}

function strftimeNow(format: string): string {
  const d = new Date();
  const pad2 = (n: number) => String(n).padStart(2, '0');
  const month = (style: 'long' | 'short') => new Intl.DateTimeFormat(undefined, { month: style }).format(d);
  const codes: Record<string, () => string> = {
    '%Y': () => String(d.getFullYear()), '%m': () => pad2(d.getMonth() + 1), '%d': () => pad2(d.getDate()),
    '%b': () => month('short'), '%B': () => month('long'), '%H': () => pad2(d.getHours()), '%M': () => pad2(d.getMinutes()),
    '%%': () => '%',
  };
  return format.replace(/%[YmdbBHM%]/g, (c) => codes[c]());
}

/** Template.render with the library's globals, but range() bounded and the interpreter counting. */
export function renderWithLimits(template: Template, items: Record<string, unknown>): string {
  const env = new Environment();
  const budget = new Budget();
  const globals: Record<string, unknown> = {
    false: false, true: true, none: null, False: false, True: true, None: null,
    raise_exception: (msg: string) => { throw new Error(msg); },
    range: boundedRange(budget),
    strftime_now: strftimeNow,
    ...items,
  };
  for (const [k, v] of Object.entries(globals)) env.set(k, v);
  return new LimitedInterpreter(env, budget).run(template.parsed).value as string;
}
