// `sparsevila serve`: the app's contract and renderer over HTTP + WebSocket on loopback, for a browser window (and how
// the renderer is tested without Electron). Prints the URL with its one-time token and runs until Ctrl+C.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EngineHost } from '../service/engine-host/engine-host.ts';
import { spawnChildEngine } from '../service/engine-host/child-process.ts';
import { defaultDataDir, defaultRendererDir, embeddedModelsDir, packageRoot } from '../service/paths.ts';
import { AppService } from '../service/service.ts';
import { startServeServer, type ServeHandle } from '../service/serve/http-server.ts';

export const SERVE_USAGE = `usage: sparsevila serve [--port N] [--host ADDR] [--data DIR] [--renderer DIR]

Serves the app on http://ADDR:N (default 127.0.0.1, a random free port) and prints the URL to open, which carries a
random token; every request and WebSocket must present it. --data defaults to the desktop app's data folder
(${defaultDataDir()}). --host 0.0.0.0 exposes it to the network: only do that on a network you trust.`;

export interface ServeArgs {
  port: number;
  host: string;
  dataDir: string;
  rendererDir: string;
  token: string;
}

export function parseServeArgs(argv: string[]): ServeArgs {
  const out: ServeArgs = { port: 0, host: '127.0.0.1', dataDir: defaultDataDir(), rendererDir: defaultRendererDir(), token: randomBytes(24).toString('base64url') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n\n${SERVE_USAGE}`);
      return v;
    };
    if (a === '--port') {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`--port must be an integer from 0 to 65535`);
      out.port = p;
    } else if (a === '--host') out.host = value();
    else if (a === '--data') out.dataDir = path.resolve(value());
    else if (a === '--renderer') out.rendererDir = path.resolve(value());
    else throw new Error(`unknown option ${a}\n\n${SERVE_USAGE}`);
  }
  if (process.env.SPARSEVILA_SERVE_TOKEN) out.token = process.env.SPARSEVILA_SERVE_TOKEN;
  return out;
}

export interface RunningServe {
  handle: ServeHandle;
  service: AppService;
  close(): Promise<void>;
}

/** A reason serve mode cannot start, in words for the user. */
export class ServeError extends Error {
  override name = 'ServeError';
}

/** Starts everything serve mode needs; used by the CLI and by the end-to-end tests. */
export async function startServe(args: ServeArgs): Promise<RunningServe> {
  const version = (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const engine = new EngineHost({ spawn: () => spawnChildEngine() });
  const service = await AppService.create({
    dataDir: args.dataDir,
    version,
    serveMode: true,
    engine,
    embeddedModelsDir: embeddedModelsDir(),
  });
  engine.start().catch((err: Error) => console.error(`[serve] engine: ${err.message}`));
  let handle: ServeHandle;
  try {
    handle = await startServeServer({ service, staticDir: args.rendererDir, host: args.host, port: args.port, token: args.token });
  } catch (err) {
    await service.close(); // the engine process too, or it would keep this process alive
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ServeError(`port ${args.port} on ${args.host} is already in use: pick another with --port N, or --port 0 for any free one`);
    if (code === 'EADDRNOTAVAIL') throw new ServeError(`${args.host} is not an address of this machine (--host)`);
    if (code === 'EACCES') throw new ServeError(`not allowed to listen on port ${args.port} (ports below 1024 need privileges): pick another with --port N`);
    throw err;
  }
  return {
    handle,
    service,
    async close() {
      await handle.close();
      await service.close();
    },
  };
}

export async function serveCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SERVE_USAGE);
    return 0;
  }
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  let running: RunningServe;
  try {
    running = await startServe(args);
  } catch (err) {
    if (!(err instanceof ServeError)) throw err;
    console.error(`sparsevila serve: ${err.message}`);
    return 1;
  }
  console.log(`SparseVILA serve: ${running.handle.url}`);
  console.log(`data: ${args.dataDir}  (Ctrl+C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return 0;
}
