// `sparsevila serve`: the app's contract and renderer over HTTP + WebSocket on loopback, for a browser window (and how
// the renderer is tested without Electron). Prints the URL with its one-time token and runs until Ctrl+C.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { copyConsoleTo, openLogFiles } from '../service/log-files.ts';
import { EngineHost } from '../service/engine-host/engine-host.ts';
import { spawnChildEngine } from '../service/engine-host/child-process.ts';
import { defaultDataDir, defaultRendererDir, embeddedModelsDir, packageRoot } from '../service/paths.ts';
import { AppService } from '../service/service.ts';
import { startServeServer, type ServeHandle } from '../service/serve/http-server.ts';
import { int, parseCommandArgs, str, UsageError, wantsHelp, type CommandOptions } from './args.ts';

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

export const SERVE_OPTIONS: CommandOptions = { strings: ['port', 'host', 'data', 'renderer'] };

export function parseServeArgs(argv: string[]): ServeArgs {
  const a = parseCommandArgs(argv, SERVE_OPTIONS, SERVE_USAGE);
  const port = int(a, 'port', 0)!;
  if (port < 0 || port > 65535) throw new UsageError('--port must be an integer from 0 to 65535', SERVE_USAGE);
  const dir = (name: string, def: string) => {
    const v = str(a, name);
    return v === undefined ? def : path.resolve(v);
  };
  return {
    port,
    host: str(a, 'host') ?? '127.0.0.1',
    dataDir: dir('data', defaultDataDir()),
    rendererDir: dir('renderer', defaultRendererDir()),
    token: process.env.SPARSEVILA_SERVE_TOKEN || randomBytes(24).toString('base64url'),
  };
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
  if (!existsSync(path.join(args.rendererDir, 'index.html'))) {
    throw new ServeError(
      `the app's renderer is not built (${path.join(args.rendererDir, 'index.html')} is missing), so a browser would get nothing to show: ` +
        'run `npm run build:renderer` first (`npm run serve` builds it and starts serve mode), or point --renderer at a built one',
    );
  }
  const version = (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const logs = openLogFiles(args.dataDir, 'serve');
  const restoreConsole = copyConsoleTo(logs.main);
  logs.main.info({ version, host: args.host, port: args.port }, 'serve mode started');
  const engine = new EngineHost({ spawn: () => spawnChildEngine(), log: logs.engine });
  const closeLogs = async () => {
    restoreConsole();
    await logs.close();
  };
  const service = await AppService.create({
    dataDir: args.dataDir,
    version,
    serveMode: true,
    engine,
    embeddedModelsDir: embeddedModelsDir(),
  }).catch(async (err: unknown) => {
    await closeLogs();
    throw err;
  });
  engine.start().catch((err: Error) => console.error(`[serve] engine: ${err.message}`));
  let handle: ServeHandle;
  try {
    handle = await startServeServer({ service, staticDir: args.rendererDir, host: args.host, port: args.port, token: args.token });
  } catch (err) {
    await service.close(); // the engine process too, or it would keep this process alive
    await closeLogs();
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
      await closeLogs();
    },
  };
}

export async function serveCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const args = parseServeArgs(argv);
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
