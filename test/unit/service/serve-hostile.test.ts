// Serve mode and the stores against hostile input (issue 16 item 11): a malformed call name is a 400, media is served
// only while the file is still the video that was opened (a swapped symlink served /etc/passwd), the ffmpeg setting
// accepts only an ffmpeg that says so (never running another program), and temp files a killed writer left in the
// data folder are cleaned at start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { VideoInfo } from '../../../electron/contract.ts';
import { startServeServer, type ServeHandle } from '../../../engine/service/serve/http-server.ts';
import { FFMPEG, makeClip, makeService, tmpDir } from './fixture.ts';

const token = 'tok-' + 'h'.repeat(28);
const work = tmpDir('sv-hostile-');
let svc: Awaited<ReturnType<typeof makeService>>;
let server: ServeHandle;
let origin: string;
const auth = { Authorization: `Bearer ${token}` };

beforeAll(async () => {
  svc = await makeService(path.join(work, 'data'));
  const staticDir = tmpDir('sv-static-');
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  server = await startServeServer({ service: svc.service, staticDir, host: '127.0.0.1', port: 0, token });
  origin = `http://127.0.0.1:${server.port}`;
}, 30_000);
afterAll(async () => {
  await server?.close();
  await svc?.close();
});

const call = async (name: string, body: unknown) => {
  const r = await fetch(`${origin}/api/call/${name}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() as { ok: boolean; error?: { code: string; message: string } } };
};

describe('serve mode against hostile requests', () => {
  it('POST /api/call/%zz is a 400 naming the bad call name, not a 500', async () => {
    const r = await call('%zz', {});
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/call name .* not valid URL encoding/) } });
    const ok = await call('settings.get', {});
    expect(ok.status).toBe(200);
  });

  it('/media/video/<id> serves only the file that was opened: a swapped symlink or a replaced file is refused', async () => {
    const clips = path.join(work, 'clips');
    mkdirSync(clips);
    const clip = makeClip(clips, 'clip.mp4', 2);
    const secret = path.join(work, 'secret.txt');
    writeFileSync(secret, 'root:x:0:0:secret\n'.repeat(50));
    const link = path.join(clips, 'link.mp4');
    symlinkSync(clip, link);
    const opened = await call('videos.open', { path: link });
    expect(opened.status).toBe(200);
    const video = (opened.body as unknown as { res: VideoInfo }).res;
    const good = await fetch(`${origin}${video.mediaUrl}`, { headers: auth });
    expect(good.status).toBe(200);
    expect(Buffer.from(await good.arrayBuffer()).subarray(4, 8).toString()).toBe('ftyp');

    unlinkSync(link);
    symlinkSync(secret, link);
    const swapped = await fetch(`${origin}${video.mediaUrl}`, { headers: auth });
    expect(swapped.status).toBe(409);
    expect(await swapped.text()).toMatch(/no longer the video that was opened/);

    // The same path, now another file (e.g. replaced by a rename): also refused.
    unlinkSync(link);
    const other = makeClip(clips, 'other.mp4', 1);
    renameSync(other, link);
    expect((await fetch(`${origin}${video.mediaUrl}`, { headers: { ...auth, Range: 'bytes=0-99' } })).status).toBe(409);
  }, 60_000);

  it('settings.ffmpegPath accepts only an ffmpeg that identifies itself, and never runs anything else', async () => {
    const marker = path.join(work, 'ran');
    const evil = path.join(work, 'evil.sh');
    writeFileSync(evil, `#!/bin/sh\ntouch ${marker}\necho "ffmpeg version 6"\n`);
    chmodSync(evil, 0o755);
    const r = await call('settings.set', { ffmpegPath: evil });
    expect(r.body).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/evil\.sh.*not an ffmpeg/) } });
    const fakeDir = path.join(work, 'fake');
    mkdirSync(fakeDir);
    const fake = path.join(fakeDir, 'ffmpeg');
    writeFileSync(fake, '#!/bin/sh\necho "hello"\n');
    chmodSync(fake, 0o755);
    const r2 = await call('settings.set', { ffmpegPath: fake });
    expect(r2.body).toMatchObject({ ok: false, error: { message: expect.stringMatching(/does not identify itself as ffmpeg/) } });
    expect((await call('settings.get', {})).body).toMatchObject({ ok: true, res: { ffmpegPath: null } });
    expect(existsSync(marker)).toBe(false);
    const real = await call('settings.set', { ffmpegPath: FFMPEG });
    expect(real.body).toMatchObject({ ok: true, res: { ffmpegPath: FFMPEG } });
    expect((await call('settings.set', { ffmpegPath: null })).status).toBe(200);
  });

  it('chat.ask with an ffmpegPath override is checked the same way', async () => {
    const clip = makeClip(work, 'ask.mp4', 1);
    const video = ((await call('videos.open', { path: clip })).body as unknown as { res: VideoInfo }).res;
    const conv = (await call('conversations.create', { videoId: video.id })).body as unknown as { res: { id: string } };
    const evil = path.join(work, 'evil2.sh');
    writeFileSync(evil, '#!/bin/sh\necho "ffmpeg version 6"\n');
    chmodSync(evil, 0o755);
    const r = await call('chat.ask', { conversationId: conv.res.id, question: 'q', settings: { ffmpegPath: evil } });
    expect(r.body).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/not an ffmpeg/) } });
  }, 30_000);
});

describe('the data folder after a kill', () => {
  it('temp files a killed writer left in the data folder\'s root are removed at start; a live writer\'s are kept', async () => {
    const data = path.join(work, 'killed');
    mkdirSync(data, { recursive: true });
    const deadPid = 2 ** 22 + 12345; // above Linux's pid_max: no such process
    const stale = [`.library.json.${deadPid}.0a1b2c3d.tmp`, `.settings.json.${deadPid}.deadbeef.tmp`];
    const live = `.library.json.${process.pid}.cafe0000.tmp`;
    for (const n of [...stale, live]) writeFileSync(path.join(data, n), '{"half": ');
    const s = await makeService(data);
    try {
      const left = readdirSync(data).filter((n) => n.endsWith('.tmp'));
      expect(left).toEqual([live]);
    } finally {
      await s.close(true);
    }
  }, 30_000);
});
