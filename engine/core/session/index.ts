// Public engine API: load a model, open a chat session about a prepared video, ask questions.
export { loadModel } from '../models/load-model.ts';
export { createBackend } from '../backend/create-backend.ts';
export type { LoadedModel, LoadModelOptions } from '../models/load-model.ts';
export type { BackendChoice } from '../backend/create-backend.ts';
export { ChatSession } from './chat-session.ts';
export type { SessionVideo, SessionOptions, AskOptions, TurnOutput, TurnTimings } from './chat-session.ts';
export { PromptBuilder, timeInstruction } from './prompt.ts';
export type { PromptParts, HistoryTurn } from './prompt.ts';
export { sampleToken, argmax, createRng } from './sampling.ts';
