// Electron Forge 8 configuration, for `npx electron-forge package|make` on Node >= 22.13 (Forge 8's CLI refuses older
// Node). The project's own installers are built by electron-builder (`npm run dist`, electron-builder.config.cjs);
// this file describes the same layout for Forge users: the app is the prebuilt dist/ (npm run build), the addon and
// the embedded model are extra resources (resources/kernels, resources/models), native modules are unpacked from the
// asar. Its makers are devDependencies; test/unit/electron/installer-config.test.ts loads each one with its config.
import type { ForgeConfig } from '@electron-forge/shared-types';

const config: ForgeConfig = {
  packagerConfig: {
    name: 'SparseVILA Desktop',
    executableName: 'sparsevila-desktop',
    appBundleId: 'dev.sparsevila.desktop',
    asar: { unpack: '**/*.node' },
    // Forge copies each folder to resources/<its name>: resources/Release (the addon; main looks there too) and
    // resources/models.
    extraResource: ['kernels/build/Release', 'assets/models'],
    ignore: [/^\/(electron|renderer|engine|test|scripts|kernels|assets|docs|out|test-output|\.ci)\//, /\.map$/, /^\/\.device/],
  },
  rebuildConfig: { onlyModules: [] },
  makers: [
    { name: '@electron-forge/maker-squirrel', platforms: ['win32'], config: {} },
    { name: '@electron-forge/maker-dmg', platforms: ['darwin'], config: {} },
    { name: '@electron-forge/maker-deb', platforms: ['linux'], config: { options: { categories: ['AudioVideo'] } } },
    { name: '@electron-forge/maker-zip', platforms: ['linux', 'darwin', 'win32'], config: {} },
  ],
};

export default config;
