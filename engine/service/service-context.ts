// What every handler group gets: the stores, the engine host, and a way to push events to the renderer.
import type { EventName, EventPayload } from '../../electron/contract.ts';
import type { EngineHost } from './engine-host/engine-host.ts';
import type { ConversationStore } from './store/conversation-store.ts';
import type { LibraryStore } from './store/library-store.ts';
import type { SettingsStore } from './store/settings-store.ts';
import type { ModelRegistry } from './models/registry.ts';
import type { InspectorStore } from './store/inspector-store.ts';

export interface ServiceContext {
  dataDir: string;
  version: string;
  serveMode: boolean;
  settings: SettingsStore;
  library: LibraryStore;
  conversations: ConversationStore;
  inspector: InspectorStore;
  models: ModelRegistry;
  engine: EngineHost;
  emit<N extends EventName>(name: N, payload: EventPayload<N>): void;
  /** Native file dialog (Electron); absent in serve mode, where the renderer asks for a path instead. */
  pickVideo?: () => Promise<string | null>;
  /** Shows a folder in the file manager (Electron); absent in serve mode. Rejects with the reason it could not. */
  openFolder?: (dir: string) => Promise<void>;
}

/** A failure the caller caused or can act on; its message goes to the renderer as is. */
export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    readonly code: 'invalid_request' | 'not_found' | 'engine',
    message: string,
  ) {
    super(message);
  }
}
