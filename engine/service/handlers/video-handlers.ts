import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Settings, VideoInfo } from '../../../electron/contract.ts';
import { resolveFfmpeg } from '../../core/video/ffmpeg-path.ts';
import { probeVideo } from '../../core/video/probe.ts';
import { VideoError } from '../../core/video/errors.ts';
import { mediaUrls, thumbsDir } from '../media.ts';
import { ServiceError, type ServiceContext } from '../service-context.ts';
import { userPath } from '../user-path.ts';
import { LLAVA_ONEVISION_PREPROCESS, type VideoPreprocess } from '../../core/video/preprocess-config.ts';
import { videoPreprocessFor } from '../video-preprocess.ts';
import { filmstrip, makePoster } from '../video-thumbs.ts';
import { encodeClip, renderClip } from '../../core/synthetic/eval-set.ts';
import type { CallHandlers } from './types.ts';

/** The demo video: one clip of the shapes world the built-in model was trained on (a seed it answers well). */
const DEMO_SEED = 4242;
const DEMO_NAME = 'shapes-world-demo.mp4';

export function videoHandlers(
  ctx: ServiceContext,
): Pick<CallHandlers, 'videos.pick' | 'videos.open' | 'videos.demo' | 'videos.recent' | 'videos.remove' | 'videos.frames'> {
  const bins = () => {
    try {
      return resolveFfmpeg({ ffmpegPath: ctx.settings.get().ffmpegPath });
    } catch (err) {
      throw new ServiceError('invalid_request', (err as Error).message);
    }
  };
  /** How the active model's processor sizes frames: the filmstrip samples into the cache entry its engine will read. */
  const preprocess = (override?: Partial<Settings>): VideoPreprocess => {
    const settings = { ...ctx.settings.get(), ...(override ?? {}) };
    const model = ctx.models.resolve(settings.modelId);
    if (!model) return LLAVA_ONEVISION_PREPROCESS;
    try {
      return videoPreprocessFor(model.info.path, settings);
    } catch {
      return LLAVA_ONEVISION_PREPROCESS; // the engine will say what is wrong with the model when it loads it
    }
  };
  /** Probe a file, make its poster, and put it in the library (recent videos). */
  const open = async (file: string): Promise<VideoInfo> => {
    const b = bins();
    let probe;
    try {
      probe = await probeVideo(b, file, { timeoutMs: 30_000 });
    } catch (err) {
      if (err instanceof VideoError) throw new ServiceError('invalid_request', err.message);
      throw err;
    }
    const id = `v-${createHash('sha256').update(`${probe.path}\0${probe.sizeBytes}\0${probe.mtimeMs}`).digest('hex').slice(0, 16)}`;
    const now = Date.now();
    const prev = ctx.library.get(id);
    let posterUrl = prev?.posterUrl ?? null;
    if (!posterUrl) {
      const ok = await makePoster(b, probe, path.join(thumbsDir(ctx.dataDir, id), 'poster.jpg')).catch((err: Error) => {
        console.warn(`[videos] no poster for ${probe.path}: ${err.message}`);
        return false;
      });
      posterUrl = ok ? mediaUrls.thumb(id, 'poster.jpg') : null;
    }
    const info: VideoInfo = {
      id,
      path: probe.path,
      name: path.basename(probe.path),
      durationSec: probe.durationSec,
      width: probe.width,
      height: probe.height,
      fps: probe.fps,
      codec: probe.codec,
      rotation: probe.rotation,
      hasAudio: probe.hasAudio,
      frameCount: probe.frameCount,
      sizeBytes: probe.sizeBytes,
      addedAt: prev?.addedAt ?? now,
      lastOpenedAt: now,
      posterUrl,
      mediaUrl: mediaUrls.video(id),
      lastConversationId: ctx.conversations.latestForVideo(id),
      ...(prev?.missingFrames !== undefined ? { missingFrames: prev.missingFrames } : {}),
    };
    await ctx.library.put(info);
    return info;
  };
  return {
    async 'videos.pick'() {
      return { path: ctx.pickVideo ? await ctx.pickVideo() : null };
    },
    async 'videos.open'({ path: file }) {
      return open(userPath(file));
    },
    async 'videos.demo'() {
      const file = path.join(ctx.dataDir, 'demo', DEMO_NAME);
      if (!existsSync(file)) {
        await fs.mkdir(path.dirname(file), { recursive: true });
        const tmp = `${file}.part.mp4`;
        try {
          await encodeClip(bins().ffmpeg, renderClip(DEMO_SEED), tmp);
        } catch (err) {
          throw new ServiceError('invalid_request', `could not make the demo video: ${(err as Error).message}`);
        }
        await fs.rename(tmp, file);
      }
      return open(file);
    },
    async 'videos.recent'() {
      return ctx.library.recent().map((v) => ({ ...v, lastConversationId: ctx.conversations.latestForVideo(v.id) }));
    },
    async 'videos.remove'({ id }) {
      const ok = await ctx.library.remove(id);
      await fs.rm(thumbsDir(ctx.dataDir, id), { recursive: true, force: true });
      return { ok };
    },
    async 'videos.frames'({ videoId, frames, settings }) {
      const video = ctx.library.get(videoId);
      if (!video) throw new ServiceError('not_found', `no video with id ${videoId}; open it first`);
      const b = bins();
      try {
        const thumbs = await filmstrip(b, video.path, frames, preprocess(settings), thumbsDir(ctx.dataDir, videoId));
        const missing = thumbs.filter((t) => t.missing).length;
        if (video.missingFrames !== missing) await ctx.library.patch(videoId, { missingFrames: missing });
        return thumbs.map((t) => ({ index: t.index, timeSec: t.timeSec, thumbUrl: mediaUrls.thumb(videoId, t.name), ...(t.missing ? { missing: true } : {}) }));
      } catch (err) {
        if (err instanceof VideoError) throw new ServiceError('invalid_request', err.message);
        throw err;
      }
    },
  };
}
