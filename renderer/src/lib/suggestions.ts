// Starter questions for an empty conversation, fitted to the model: the built-in toy model only understands its
// synthetic shapes world, so it gets questions it can answer and a plain word about its limits.
import type { ModelInfo } from '../../../electron/contract.ts';

const GENERAL = ['What happens in this video?', 'When does the scene change?', 'Describe the first ten seconds.'];
const TOY = ['what shape is the red object ?', 'which colour appeared first ?', 'how many objects appeared ?'];

export function suggestionsFor(model: ModelInfo | null): { questions: string[]; note: string | null } {
  // The toy model can also be added as a local folder (assets/models/sparsevila-toy-shapes): know it by name too.
  if (model && (model.source === 'embedded' || model.name.startsWith('sparsevila-toy'))) {
    return {
      questions: TOY,
      note: `${model.name} is the small demo model: it only knows videos of coloured shapes and one-word answers `
        + 'to questions like these. For real videos, add a LLaVA-OneVision / LLaVA-Video model in the model manager.',
    };
  }
  return { questions: GENERAL, note: null };
}
