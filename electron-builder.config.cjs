// electron-builder: `npm run dist` builds the installers for the current OS (AppImage + deb on Linux, dmg on macOS,
// nsis on Windows). The native addon (CPU or CUDA build, whichever `npm run build:addon` produced) and the embedded
// model ship as extra resources next to app.asar; native modules inside node_modules are unpacked from the asar.
// ELECTRON_DIST=<unpacked electron dir> builds without downloading Electron (offline `--dir` builds).
/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'dev.sparsevila.desktop',
  productName: 'SparseVILA Desktop',
  copyright: 'MIT License',
  directories: { output: 'out/dist', buildResources: 'assets/build' },
  files: ['package.json', 'dist/electron/**', 'dist/renderer/**', '!**/*.map', '!**/*.{ts,mts,md}', '!**/{test,tests,docs,example,examples}/**'],
  asar: true,
  asarUnpack: ['**/*.node', 'node_modules/onnxruntime-node/bin/**', 'node_modules/ffmpeg-static/**'],
  extraResources: [
    { from: 'kernels/build/Release', to: 'kernels', filter: ['*.node'] },
    { from: 'assets/models', to: 'models', filter: ['**/*'] },
  ],
  electronDist: process.env.ELECTRON_DIST || undefined,
  npmRebuild: false,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'AudioVideo',
    maintainer: 'SparseVILA Desktop contributors <sparsevila-desktop@users.noreply.github.com>',
    synopsis: 'Chat about long local videos with a vision-language model, fast (SparseVILA)',
  },
  deb: { depends: ['libgtk-3-0', 'libnss3', 'libxss1', 'libasound2'] },
  mac: { target: ['dmg'], category: 'public.app-category.video', hardenedRuntime: true },
  dmg: { title: 'SparseVILA Desktop' },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true, perMachine: false },
};
