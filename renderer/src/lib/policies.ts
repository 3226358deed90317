import type { PolicyName } from '../../../electron/contract.ts';

export const POLICIES: { id: PolicyName; label: string; blurb: string }[] = [
  { id: 'sparsevila', label: 'SparseVILA', blurb: 'Prune by saliency before prefill, then retrieve the relevant visual tokens again for every question.' },
  { id: 'dense', label: 'Dense', blurb: 'Every visual token, full attention. The baseline.' },
  { id: 'prefill-only', label: 'Prefill only', blurb: 'Prune by saliency before prefill; decode reads all kept tokens (VisionZip-like).' },
  { id: 'query-prune', label: 'Query prune', blurb: 'Prune permanently by the first question’s attention (FastV-like); later questions suffer.' },
];

export function usesPrefillSparsity(p: PolicyName): boolean {
  return p !== 'dense';
}

export function usesDecodeSparsity(p: PolicyName): boolean {
  return p === 'sparsevila';
}
