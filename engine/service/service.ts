// The server side of the contract, written once and used by Electron's main process (through ipcMain) and by serve
// mode (through HTTP + WebSocket). Every request is validated with the contract's schema; every failure becomes a
// ContractError (never an exception that reaches the transport); results are checked against the contract too.
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { calls, events, parseRequest, type CallName, type ContractError, type EventName, type EventPayload } from '../../electron/contract.ts';
import { EngineCrashedError, EngineRequestError, type EngineHost } from './engine-host/engine-host.ts';
import { appHandlers } from './handlers/app-handlers.ts';
import { chatHandlers } from './handlers/chat-handlers.ts';
import { conversationHandlers } from './handlers/conversation-handlers.ts';
import { modelHandlers } from './handlers/model-handlers.ts';
import type { CallHandlers } from './handlers/types.ts';
import { videoHandlers } from './handlers/video-handlers.ts';
import { serveMedia, type MediaResponse } from './media.ts';
import { DownloadManager } from './models/download-manager.ts';
import { QuantizeManager } from './models/quantize-manager.ts';
import { defaultHubCacheDir } from './models/hub-cache.ts';
import { ModelRegistry } from './models/registry.ts';
import { ServiceError, type ServiceContext } from './service-context.ts';
import { ConversationStore } from './store/conversation-store.ts';
import { InspectorStore } from './store/inspector-store.ts';
import { LibraryStore } from './store/library-store.ts';
import { SettingsStore } from './store/settings-store.ts';

export interface ServiceOptions {
  dataDir: string;
  version: string;
  serveMode: boolean;
  engine: EngineHost;
  /** Folder holding the embedded model(s) (assets/models); null when the app ships none. */
  embeddedModelsDir: string | null;
  pickVideo?: () => Promise<string | null>;
  openFolder?: (dir: string) => Promise<void>;
  /** Hugging Face endpoint for downloads (default HF_ENDPOINT or https://huggingface.co). */
  hubEndpoint?: string;
  /** The Hugging Face hub cache whose models are listed and where downloads go (default: huggingface_hub's). */
  hubCacheDir?: string;
}

export type CallResult = { ok: true; res: unknown } | { ok: false; error: ContractError };

export class AppService {
  private emitter = new EventEmitter();
  private handlers!: CallHandlers;
  private downloads!: DownloadManager;
  private quantizer!: QuantizeManager;
  private chat!: ReturnType<typeof chatHandlers>;
  private ctx!: ServiceContext;
  private unsubscribeEngine: (() => void) | null = null;

  private constructor() {
    this.emitter.setMaxListeners(100);
  }

  static async create(opts: ServiceOptions): Promise<AppService> {
    const s = new AppService();
    await fs.mkdir(opts.dataDir, { recursive: true });
    const ctx: ServiceContext = {
      dataDir: path.resolve(opts.dataDir),
      version: opts.version,
      serveMode: opts.serveMode,
      settings: new SettingsStore(opts.dataDir),
      library: new LibraryStore(opts.dataDir),
      conversations: new ConversationStore(opts.dataDir),
      inspector: new InspectorStore(opts.dataDir),
      models: new ModelRegistry(opts.dataDir, opts.embeddedModelsDir, opts.hubCacheDir ?? defaultHubCacheDir()),
      engine: opts.engine,
      emit: (name, payload) => s.emit(name, payload),
      pickVideo: opts.pickVideo,
      openFolder: opts.openFolder,
    };
    await Promise.all([ctx.settings.load(), ctx.library.load(), ctx.conversations.load(), ctx.models.load()]);
    s.ctx = ctx;
    s.downloads = new DownloadManager(ctx.models, (p) => s.emit('models.downloadProgress', p), opts.hubEndpoint);
    s.quantizer = new QuantizeManager(ctx.models, ctx.engine, path.join(ctx.dataDir, 'models'), (p) => s.emit('models.quantizeProgress', p));
    s.chat = chatHandlers(ctx);
    const { idle: _idle, ...chat } = s.chat;
    s.handlers = {
      ...appHandlers(ctx),
      ...videoHandlers(ctx),
      ...conversationHandlers(ctx),
      ...modelHandlers(ctx, s.downloads, s.quantizer),
      ...chat,
    };
    s.unsubscribeEngine = opts.engine.onStatus((st) => s.emit('engine.status', st));
    return s;
  }

  /** Validates, runs, and checks one call. Never throws. */
  async call(name: string, payload: unknown): Promise<CallResult> {
    const parsed = parseRequest(name, payload);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    const callName = parsed.name as CallName;
    try {
      const handler = this.handlers[callName] as (req: unknown) => Promise<unknown>;
      const res = await handler(parsed.req);
      const checked = calls[callName].res.safeParse(res);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        console.error(`[service] ${callName} returned a result that breaks the contract: ${issue?.path.join('.')}: ${issue?.message}`);
        return { ok: false, error: { code: 'internal', message: `${callName}: internal error (result does not match the contract)` } };
      }
      return { ok: true, res: checked.data };
    } catch (err) {
      return { ok: false, error: toContractError(callName, err) };
    }
  }

  on(listener: <N extends EventName>(name: N, payload: EventPayload<N>) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** A /media/... URL path as a response (404 for anything unknown). */
  async media(pathname: string, range: string | null | undefined): Promise<MediaResponse> {
    return serveMedia(pathname, range, this.ctx.dataDir, this.ctx.library);
  }

  get engine(): EngineHost {
    return this.ctx.engine;
  }

  /** Waits for answers in flight (tests), stops downloads, and shuts the engine down. */
  async close(): Promise<void> {
    this.unsubscribeEngine?.();
    await this.downloads.close();
    await this.quantizer.close();
    await this.ctx.engine.close();
    await this.chat.idle();
  }

  /** Resolves when no answer is being written (tests). */
  idle(): Promise<void> {
    return this.chat.idle();
  }

  private emit<N extends EventName>(name: N, payload: EventPayload<N>): void {
    const checked = events[name].safeParse(payload);
    if (!checked.success) {
      console.error(`[service] dropping event ${name} that breaks the contract: ${checked.error.issues[0]?.message}`);
      return;
    }
    this.emitter.emit('event', name, checked.data);
  }
}

function toContractError(name: string, err: unknown): ContractError {
  if (err instanceof ServiceError) return { code: err.code, message: err.message };
  if (err instanceof EngineCrashedError || err instanceof EngineRequestError) return { code: 'engine', message: err.message };
  console.error(`[service] ${name} failed:`, err);
  return { code: 'internal', message: `${name} failed: ${(err as Error)?.message ?? String(err)}` };
}
