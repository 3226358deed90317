/** IPC channel names shared by main and preload. */
export const IPC_CALL = 'sparsevila:call';
export const IPC_EVENT = 'sparsevila:event';
