// Retrieval settings from a spec, a list of specs, or a mode and its one parameter (the app's setting): one rule set.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRIEVAL, parseRetrievalSpec, parseRetrievalSpecs, resolveRetrieval, retrievalSpec, retrievalWithParam } from '../../../engine/core/sparse/retrieval-settings.ts';

describe('retrieval settings', () => {
  const base = resolveRetrieval({ minRetrieved: 3, refreshEvery: 8 });

  it('a spec sets its mode\'s one parameter over the base', () => {
    expect(parseRetrievalSpec('pages=4', base)).toEqual({ ...base, mode: 'pages', pageSize: 4 });
    expect(parseRetrievalSpec('refresh', base)).toEqual({ ...base, mode: 'refresh' });
    expect(retrievalWithParam('top-p', 0.5, base)).toEqual({ ...base, mode: 'top-p', mass: 0.5 });
    expect(retrievalWithParam('fastv', null)).toEqual({ ...DEFAULT_RETRIEVAL, mode: 'fastv' });
    for (const s of ['shared=1', 'top-p=0.7', 'refresh=2', 'pages=8', 'fastv=1']) expect(retrievalSpec(parseRetrievalSpec(s))).toBe(s);
  });

  it('refuses a parameter the mode does not take, an unknown mode and bad values', () => {
    expect(() => parseRetrievalSpec('per-layer=3')).toThrow(/per-layer takes no parameter/);
    expect(parseRetrievalSpec('shared=2').fullLayers).toBe(2);
    expect(() => retrievalWithParam('per-layer', 2)).toThrow(/per-layer takes no parameter/);
    expect(() => parseRetrievalSpec('sideways=2')).toThrow(/retrieval must be one of/);
    expect(() => parseRetrievalSpec('pages=x')).toThrow(/"x" is not a number/);
    expect(() => retrievalWithParam('refresh', 0)).toThrow(/refreshEvery must be an integer >= 1/);
  });

  it('a list of specs, each over the base; none: the base', () => {
    expect(parseRetrievalSpecs('shared, refresh=2', base).map((r) => [r.mode, r.refreshEvery, r.minRetrieved])).toEqual([['shared', 8, 3], ['refresh', 2, 3]]);
    expect(parseRetrievalSpecs(undefined, base)).toEqual([base]);
    expect(() => parseRetrievalSpecs(' , ')).toThrow(/--retrieval is empty/);
  });
});
