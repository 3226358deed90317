import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { Progress } from '../../../renderer/src/components/Progress.tsx';

describe('preparation progress', () => {
  it('names every stage, counts only where there is something to count', () => {
    const bar = (stage: 'load' | 'decode' | 'warmup' | 'dense', done: number, total: number) =>
      renderToStaticMarkup(<Progress p={{ conversationId: 'c', stage, done, total, etaSec: null }} onCancel={() => {}} />);
    expect(bar('load', 0, 1)).toContain('Loading the model');
    expect(bar('load', 0, 1)).not.toContain('0/1');
    expect(bar('decode', 3, 32)).toContain('3/32');
    expect(bar('warmup', 0, 2)).toContain('Warming up both policies');
    expect(bar('dense', 0, 1)).toContain('Running dense');
  });
});
