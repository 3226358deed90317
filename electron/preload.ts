// Sandboxed preload: exposes exactly one object, window.sparsevila, implementing the contract's SparseVilaApi over IPC.
// Only type imports from the contract (a sandboxed preload can require nothing but 'electron'); main validates.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { CallName, CallReq, CallRes, ContractError, EventName, EventPayload, SparseVilaApi } from './contract.ts';
import { IPC_CALL, IPC_EVENT } from './ipc-channels.ts';

type CallResult = { ok: true; res: unknown } | { ok: false; error: ContractError };

const api: SparseVilaApi = {
  async call<N extends CallName>(name: N, req: CallReq<N>): Promise<CallRes<N>> {
    const r = (await ipcRenderer.invoke(IPC_CALL, name, req)) as CallResult;
    if (r.ok) return r.res as CallRes<N>;
    // contextBridge keeps only an Error's message across the boundary: put the code in it too.
    throw new Error(r.error.message, { cause: r.error.code });
  },
  on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void {
    const handler = (_e: IpcRendererEvent, event: string, payload: unknown) => {
      if (event === name) listener(payload as EventPayload<N>);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.off(IPC_EVENT, handler);
    };
  },
  pathForFile(file: File): string | null {
    return webUtils.getPathForFile(file) || null;
  },
};

contextBridge.exposeInMainWorld('sparsevila', api);
