// The ranges of the numeric settings, shared by the contract's schema (the server validates) and the renderer (which
// says why it refuses a value before sending it) without pulling zod into the renderer bundle.
export const SETTINGS_LIMITS = {
  frames: { min: 1, max: 1024 },
  maxNewTokens: { min: 1, max: 8192 },
  /** Rate sampling of the models whose processor samples by rate (Qwen-VL): frames per second, the most frames. */
  sampleFps: { min: 0.01, max: 30 },
  maxFrames: { min: 2, max: 1024 },
  /** Pixel budget (size.longest_edge): per frame for Qwen2.5-VL, for the whole video for Qwen3-VL. */
  maxPixels: { min: 784, max: 2 ** 31 },
  /** Decode retrieval's one parameter (RetrievalChoice.value): the integer ones (tokens, layers) stay at most this. */
  retrievalParam: { max: 4096 },
} as const;
