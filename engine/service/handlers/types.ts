import type { z } from 'zod';
import type { CallName, CallRes, calls } from '../../../electron/contract.ts';

/** One implementation per contract call; requests arrive already validated by the contract's schema. */
export type CallHandlers = { [N in CallName]: (req: z.infer<(typeof calls)[N]['req']>) => Promise<CallRes<N>> };
