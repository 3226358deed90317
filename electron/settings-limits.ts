// The ranges of the numeric settings, shared by the contract's schema (the server validates) and the renderer (which
// says why it refuses a value before sending it) without pulling zod into the renderer bundle.
export const SETTINGS_LIMITS = {
  frames: { min: 1, max: 1024 },
  maxNewTokens: { min: 1, max: 8192 },
} as const;
