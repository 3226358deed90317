// The installer configs are only fully exercised where the network allows (electron-builder downloads Electron and
// packaging tools), so check here what can be checked: targets, resources that exist, files that cover the build.
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../../../engine/service/paths.ts';
import { electronBinary } from '../../e2e/harness.ts';
import forgeConfig from '../../../forge.config.ts';

const root = packageRoot();
const require = createRequire(import.meta.url);
type Resource = { from: string; to: string; filter?: string[] };
const builder = require(path.join(root, 'electron-builder.config.cjs')) as {
  appId: string;
  files: string[];
  asarUnpack: string[];
  extraResources: Resource[];
  linux: { target: string[]; maintainer: string };
  mac: { target: string[] };
  win: { target: string[] };
};
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };

describe('electron-builder config', () => {
  it('builds AppImage, deb, dmg and nsis', () => {
    expect(builder.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(builder.linux.maintainer).toMatch(/<.+@.+>/); // deb refuses to build without one
    expect(builder.mac.target).toContain('dmg');
    expect(builder.win.target).toContain('nsis');
    expect(pkg.scripts.dist).toMatch(/electron-builder --config electron-builder\.config\.cjs/);
  });

  it('packs the built app: main entry, preload, engine and renderer are covered by `files`', () => {
    expect(pkg.main).toBe('dist/electron/main.cjs');
    const globs = builder.files.filter((f) => !f.startsWith('!'));
    for (const f of ['dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/electron/engine.cjs', 'dist/renderer/index.html']) {
      expect(globs.some((g) => f.startsWith(g.replace('/**', '/')))).toBe(true);
      expect(existsSync(path.join(root, f)), `${f} is built by npm run build`).toBe(true);
    }
  });

  it('ships the native addon and the embedded model as extra resources, unpacking native modules', () => {
    const kernels = builder.extraResources.find((r) => r.to === 'kernels')!;
    expect(kernels).toBeDefined();
    const addons = readdirSync(path.join(root, kernels.from)).filter((n) => n.endsWith('.node'));
    expect(addons.length, `${kernels.from} holds the built addon`).toBeGreaterThan(0);
    const models = builder.extraResources.find((r) => r.to === 'models')!;
    expect(models.from).toBe('assets/models');
    if (existsSync(path.join(root, models.from))) {
      const dirs = readdirSync(path.join(root, models.from)).filter((n) => existsSync(path.join(root, models.from, n, 'config.json')) || existsSync(path.join(root, models.from, n, 'tokenizer.json')));
      expect(dirs.length).toBeGreaterThan(0);
    } else {
      console.warn('[installer] assets/models is not there yet: the installers would ship without the embedded model');
    }
    expect(builder.asarUnpack).toContain('**/*.node');
  });

  it('forge config mirrors it', () => {
    expect(forgeConfig.packagerConfig?.extraResource).toEqual(['kernels/build/Release', 'assets/models']);
    expect(forgeConfig.makers?.map((m) => ('name' in m ? m.name : ''))).toEqual(
      expect.arrayContaining(['@electron-forge/maker-squirrel', '@electron-forge/maker-dmg', '@electron-forge/maker-deb']),
    );
  });

  it("forge config's makers are installed and load with their config, for platforms they support", async () => {
    for (const entry of forgeConfig.makers ?? []) {
      expect('name' in entry, 'makers are named like Forge resolves them').toBe(true);
      const { name, config, platforms } = entry as { name: string; config?: unknown; platforms?: string[] };
      const Maker = ((await import(name)) as { default: new (config: unknown, platforms?: string[]) => { name: string; defaultPlatforms: string[] } }).default;
      const maker = new Maker(config, platforms);
      expect(`@electron-forge/maker-${maker.name}`).toBe(name);
      for (const p of platforms ?? []) expect(maker.defaultPlatforms, `${name} on ${p}`).toContain(p);
    }
  });

  // Copies ~180 MB of native modules, so it runs on request (SPARSEVILA_PACKAGING_TEST=1), not in every `npm test`.
  const packagingSkip = process.env.SPARSEVILA_PACKAGING_TEST === '1' ? null : 'set SPARSEVILA_PACKAGING_TEST=1 to run the packaging layout check (~10 s)';
  if (packagingSkip) console.warn(`[installer] skipping the stand-in --dir packaging check: ${packagingSkip}`);
  it.skipIf(packagingSkip !== null)('lays out the packaged app (--dir with a stand-in Electron dist: asar, unpacked natives, extra resources)', () => {
    // No Electron binary can be fetched here, so a stand-in executable takes its place: electron-builder still runs
    // its real file selection, asar packing, asarUnpack and extraResources, which is what this config controls.
    const work = mkdtempSync(path.join(os.tmpdir(), 'sv-dist-'));
    try {
      const fakeDist = path.join(work, 'electron-dist');
      mkdirSync(path.join(fakeDist, 'resources'), { recursive: true });
      writeFileSync(path.join(fakeDist, 'electron'), '#!/bin/sh\necho stand-in for electron\n');
      chmodSync(path.join(fakeDist, 'electron'), 0o755);
      const out = path.join(work, 'out');
      const r = spawnSync(process.execPath, [require.resolve('electron-builder/cli.js'), '--linux', '--dir', '--config', 'electron-builder.config.cjs', '--publish', 'never', `-c.directories.output=${out}`], {
        cwd: root,
        env: { ...process.env, ELECTRON_DIST: fakeDist },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const resources = path.join(out, 'linux-unpacked', 'resources');
      const asar = require('@electron/asar') as { listPackage(p: string): string[] };
      const files = asar.listPackage(path.join(resources, 'app.asar')).map((f) => f.replaceAll('\\', '/'));
      for (const f of ['/package.json', '/dist/electron/main.cjs', '/dist/electron/preload.cjs', '/dist/electron/engine.cjs', '/dist/renderer/index.html']) expect(files).toContain(f);
      expect(files.some((f) => f.startsWith('/node_modules/zod/'))).toBe(true);
      expect(files.some((f) => f.startsWith('/engine/') || f.startsWith('/test/') || f.startsWith('/renderer/src'))).toBe(false);
      expect(readdirSync(path.join(resources, 'kernels')).some((n) => n.endsWith('.node'))).toBe(true);
      expect(existsSync(path.join(resources, 'app.asar.unpacked', 'node_modules', 'onnxruntime-node'))).toBe(true);
      if (existsSync(path.join(root, 'assets', 'models'))) expect(existsSync(path.join(resources, 'models'))).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 150_000);

  const electron = electronBinary();
  const skip = 'reason' in electron ? electron.reason : null;
  if (skip) console.warn(`[installer] skipping the electron-builder --dir build: ${skip}`);
  it.skipIf(skip !== null)('builds an unpacked app with --dir from the local Electron', () => {
    const dist = path.dirname((electron as { path: string }).path);
    const r = spawnSync(process.execPath, [require.resolve('electron-builder/cli.js'), '--dir', '--config', 'electron-builder.config.cjs', '--publish', 'never'], {
      cwd: root,
      env: { ...process.env, ELECTRON_DIST: dist },
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
  }, 320_000);
});
