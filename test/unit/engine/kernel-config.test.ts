// The CUDA backend's kernel configuration: one table of defaults, changes validated field by field, the addon's part
// derived from it, and the few environment switches parsed in one place (unset: nothing changes; bad values: an
// error naming the variable). Replaces the per-switch env parsers (gemv, flash, decode attention, saliency, prefill).
import { describe, expect, it } from 'vitest';
import {
  addonKernelConfig, DEFAULT_KERNEL_CONFIG, withKernelConfig,
} from '../../../engine/core/backend/cuda/kernel-config.ts';
import { kernelConfigFromEnv } from '../../../engine/core/backend/cuda/kernel-config-env.ts';

describe('kernel config', () => {
  it('defaults are the product kernels', () => {
    expect(DEFAULT_KERNEL_CONFIG).toEqual({
      dtype: 'bf16', gemv: 'fused', gemvPdl: true, prefillFused: true, prefillQkv: true, prefillResNorm: true,
      prefillAttention: 'auto', decodeAttention: 'auto', saliency: 'tensor-core', deviceTopK: true,
      visionFused: true, visionLowp: true, visionAttention: 'flash',
    });
    expect(Object.isFrozen(DEFAULT_KERNEL_CONFIG)).toBe(true);
  });

  it('changes set only the given fields and leave the base alone', () => {
    const c = withKernelConfig(DEFAULT_KERNEL_CONFIG, { gemv: 'off', decodeAttention: 'v4', prefillQkv: false, saliency: undefined });
    expect(c).toEqual({ ...DEFAULT_KERNEL_CONFIG, gemv: 'off', decodeAttention: 'v4', prefillQkv: false });
    expect(DEFAULT_KERNEL_CONFIG.gemv).toBe('fused');
  });

  it('refuses unknown fields and values, naming them', () => {
    expect(() => withKernelConfig(DEFAULT_KERNEL_CONFIG, { flash: true } as never)).toThrow(/unknown field "flash"/);
    expect(() => withKernelConfig(DEFAULT_KERNEL_CONFIG, { decodeAttention: 'v8' } as never)).toThrow(/decodeAttention must be one of auto, v4, v9, split, got "v8"/);
    expect(() => withKernelConfig(DEFAULT_KERNEL_CONFIG, { deviceTopK: 1 } as never)).toThrow(/deviceTopK must be one of true, false/);
  });

  it('gives the addon its part: attention kernels, saliency, GEMV in linear() unless gemv is off, PDL', () => {
    expect(addonKernelConfig(DEFAULT_KERNEL_CONFIG)).toEqual({
      prefillAttention: 'auto', decodeAttention: 'auto', saliency: 'tensor-core', gemvLinear: true, gemvPdl: true,
    });
    const c = withKernelConfig(DEFAULT_KERNEL_CONFIG, { gemv: 'off', prefillAttention: 'cublas', saliency: 'simt', gemvPdl: false });
    expect(addonKernelConfig(c)).toEqual({
      prefillAttention: 'cublas', decodeAttention: 'auto', saliency: 'simt', gemvLinear: false, gemvPdl: false,
    });
    expect(addonKernelConfig(withKernelConfig(DEFAULT_KERNEL_CONFIG, { gemv: 'on' })).gemvLinear).toBe(true);
    // f32 mode: the float32 saliency kernel whatever the saliency field says (no bf16 operands anywhere).
    expect(addonKernelConfig(withKernelConfig(DEFAULT_KERNEL_CONFIG, { dtype: 'f32' })).saliency).toBe('simt');
    expect(addonKernelConfig(withKernelConfig(DEFAULT_KERNEL_CONFIG, { dtype: 'f16' })).saliency).toBe('tensor-core');
  });
});

describe('kernel config from the environment', () => {
  it('changes nothing when the switches are unset or blank', () => {
    expect(kernelConfigFromEnv({})).toEqual({});
    expect(kernelConfigFromEnv({ SPARSEVILA_GEMV: ' ', SPARSEVILA_FLASH: '', SPARSEVILA_DECODE_ATTN: '' })).toEqual({});
  });

  it('parses every spelling of each switch', () => {
    const gemv = (v: string) => kernelConfigFromEnv({ SPARSEVILA_GEMV: v }).gemv;
    expect(['off', '0', 'on', '1', 'fused', ' FUSED '].map(gemv)).toEqual(['off', 'off', 'on', 'on', 'fused', 'fused']);
    const flash = (v: string) => kernelConfigFromEnv({ SPARSEVILA_FLASH: v }).prefillAttention;
    expect(['off', '0', 'mma', ' AUTO '].map(flash)).toEqual(['cublas', 'cublas', 'mma', 'auto']);
    const decode = (v: string) => kernelConfigFromEnv({ SPARSEVILA_DECODE_ATTN: v }).decodeAttention;
    expect(['0', '3', '4', '9'].map(decode)).toEqual(['auto', 'split', 'v4', 'v9']);
    expect(kernelConfigFromEnv({ SPARSEVILA_CUDA_DTYPE: 'f32', SPARSEVILA_PREFILL_FUSED: '0', SPARSEVILA_VISION_ATTN: 'cublas' }))
      .toEqual({ dtype: 'f32', prefillFused: false, visionAttention: 'cublas' });
    expect(kernelConfigFromEnv({ SPARSEVILA_VISION_FUSED: '0' })).toEqual({ visionFused: false, visionLowp: false });
  });

  it('refuses removed kernel versions and other values with the variable named', () => {
    expect(() => kernelConfigFromEnv({ SPARSEVILA_GEMV: 'fast' })).toThrow(/SPARSEVILA_GEMV must be one of .*off, on, fused, got "fast"/);
    expect(() => kernelConfigFromEnv({ SPARSEVILA_FLASH: '3' })).toThrow(/SPARSEVILA_FLASH must be one of/);
    expect(() => kernelConfigFromEnv({ SPARSEVILA_DECODE_ATTN: '8' })).toThrow(/SPARSEVILA_DECODE_ATTN must be one of 0, 3, 4, 9/);
    expect(() => kernelConfigFromEnv({ SPARSEVILA_DECODE_ATTN: 'constructor' })).toThrow(/SPARSEVILA_DECODE_ATTN/);
    expect(() => kernelConfigFromEnv({ SPARSEVILA_CUDA_DTYPE: 'fp8' })).toThrow(/SPARSEVILA_CUDA_DTYPE/);
    expect(() => kernelConfigFromEnv({ SPARSEVILA_VISION_FUSED: 'yes' })).toThrow(/SPARSEVILA_VISION_FUSED/);
  });

  it('yields a configuration the backend accepts', () => {
    const env = { SPARSEVILA_GEMV: 'on', SPARSEVILA_FLASH: 'mma', SPARSEVILA_DECODE_ATTN: '9', SPARSEVILA_CUDA_DTYPE: 'f16' };
    expect(withKernelConfig(DEFAULT_KERNEL_CONFIG, kernelConfigFromEnv(env))).toMatchObject(
      { gemv: 'on', prefillAttention: 'mma', decodeAttention: 'v9', dtype: 'f16' });
  });
});
