// Reads a video's facts (duration, frame rate, frame count, size, rotation, codec, audio) with ffprobe, or by
// parsing `ffmpeg -i` where no ffprobe exists. Rejects missing, empty, non-video and damaged files with a clear
// message, and never waits on a child longer than the time bound.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { VideoError } from './errors.ts';
import type { FfmpegBinaries } from './ffmpeg-path.ts';
import { runProcess } from './run-process.ts';

export interface VideoProbe {
  path: string;
  sizeBytes: number;
  mtimeMs: number;
  inode: number;
  container: string;
  codec: string;
  /** Display size (after rotation). */
  width: number;
  height: number;
  /** Size as stored in the stream (before rotation). */
  codedWidth: number;
  codedHeight: number;
  /** Clockwise degrees the player rotates the stored frames for display: 0, 90, 180 or 270. */
  rotation: number;
  /** Average frame rate (frames / duration). */
  fps: number;
  durationSec: number;
  /** Number of video frames. Exact when `frameCountExact`, else estimated from duration x fps. */
  frameCount: number;
  frameCountExact: boolean;
  /** Presentation time of the first video frame (container clock). */
  startTimeSec: number;
  /** Seconds from the file's start (what players show as 0:00, and what `-ss` counts from) to the first video frame. */
  videoStartOffsetSec: number;
  hasAudio: boolean;
  /** True when the average and the nominal frame rates disagree (variable frame rate). */
  variableFrameRate: boolean;
  /** Mean distance between keyframes over the first few hundred packets, or null if unknown / longer. */
  keyframeInterval: number | null;
}

export interface ProbeOptions {
  signal?: AbortSignal;
  /** Hard bound for each child process (ms). Counting frames of a long mkv reads the whole file. */
  timeoutMs?: number;
}

const IMAGE_CONTAINERS = /^(image2|[a-z0-9]+_pipe|gif|apng|webp_pipe)$/;
const IMAGE_CODECS = new Set(['png', 'mjpeg', 'bmp', 'tiff', 'webp', 'gif', 'jpegls', 'jpeg2000', 'ppm', 'pgm', 'pam']);

function parseRate(r: string | undefined): number {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  if (!Number.isFinite(n)) return 0;
  const v = d === undefined ? n : d === 0 ? 0 : n / d;
  return Number.isFinite(v) && v > 0 ? v : 0;
}

function normalizeRotation(deg: number): number {
  const r = ((Math.round(deg / 90) * 90) % 360 + 360) % 360;
  return r;
}

/** Looks at the first bytes: printable text is not a video, whatever its extension says. */
async function sniff(file: string): Promise<{ isText: boolean; isMp4: boolean }> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    const isMp4 = head.subarray(4, 8).toString('latin1') === 'ftyp';
    let printable = 0;
    for (const b of head) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b !== 127)) printable++;
    const isText = bytesRead > 0 && !head.includes(0) && printable / bytesRead > 0.97;
    return { isText, isMp4 };
  } finally {
    await fh.close();
  }
}

async function checkFile(file: string): Promise<{ size: number; mtimeMs: number; ino: number }> {
  let s;
  try {
    s = await stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new VideoError('FILE_NOT_FOUND', `Video file not found: ${file}`);
    throw new VideoError('UNREADABLE', `Cannot read ${file}: ${(e as Error).message}`);
  }
  if (!s.isFile()) throw new VideoError('NOT_A_VIDEO', `${file} is not a file`);
  if (s.size === 0) throw new VideoError('EMPTY_FILE', `${path.basename(file)} is empty (0 bytes), so it is not a video`);
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

function lastLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? '').replace(/^.*?: (?=[A-Z])/, '');
}

async function explainFailure(file: string, stderr: string): Promise<VideoError> {
  const name = path.basename(file);
  const { isText, isMp4 } = await sniff(file);
  if (isText) return new VideoError('NOT_A_VIDEO', `${name} is a text file, not a video`);
  if (isMp4 && /moov atom not found/i.test(stderr)) {
    return new VideoError('UNREADABLE', `${name} is damaged or incomplete (truncated MP4: its index, the "moov atom", is missing)`);
  }
  if (/Invalid data found|could not find codec parameters|moov atom not found/i.test(stderr)) {
    return new VideoError('NOT_A_VIDEO', `${name} is not a video ffmpeg can read (${lastLine(stderr) || 'unknown format'})`);
  }
  return new VideoError('UNREADABLE', `Cannot read ${name}: ${lastLine(stderr) || 'ffmpeg failed without a message'}`);
}

interface StreamFacts {
  codec: string;
  codedWidth: number;
  codedHeight: number;
  rotation: number;
  avgFps: number;
  nominalFps: number;
  durationSec: number;
  startTimeSec: number;
  formatStartSec: number;
  frameCount: number | null;
  keyframeInterval: number | null;
  container: string;
  hasAudio: boolean;
  isImage: boolean;
}

// ---- ffprobe ------------------------------------------------------------------------------------------------

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  start_time?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
  disposition?: { attached_pic?: number };
}

async function probeWithFfprobe(ffprobe: string, file: string, opts: Required<Pick<ProbeOptions, 'timeoutMs'>> & ProbeOptions): Promise<StreamFacts> {
  const res = await runProcess(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '--', file], {
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    what: `Probing ${path.basename(file)}`,
  });
  let json: { streams?: FfprobeStream[]; format?: { format_name?: string; duration?: string; start_time?: string } } = {};
  try {
    json = JSON.parse(res.stdout || '{}');
  } catch {
    json = {};
  }
  if (res.code !== 0 || !json.format) throw await explainFailure(file, res.stderr);
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) throw new VideoError('NOT_A_VIDEO', `${path.basename(file)} has no video stream${streams.some((s) => s.codec_type === 'audio') ? ' (it is an audio file)' : ''}`);
  const sideRotation = video.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  // ffprobe's display-matrix rotation is counter-clockwise; the legacy `rotate` tag is clockwise.
  const rotation = sideRotation !== undefined ? normalizeRotation(-sideRotation) : normalizeRotation(Number(video.tags?.rotate ?? 0) || 0);
  const container = json.format.format_name ?? '';
  const durationSec = Number(video.duration) || Number(json.format.duration) || parseMkvDuration(video.tags) || 0;
  let frameCount = Number(video.nb_frames) > 0 ? Number(video.nb_frames) : null;
  if (frameCount === null) {
    // mkv/webm store no frame count: count packets (demux only, no decoding).
    const counted = await runProcess(
      ffprobe,
      ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', '--', file],
      { timeoutMs: opts.timeoutMs * 4, signal: opts.signal, what: `Counting frames of ${path.basename(file)}` },
    );
    const n = parseInt(counted.stdout.trim(), 10);
    if (counted.code === 0 && n > 0) frameCount = n;
  }
  return {
    keyframeInterval: await keyframeInterval(ffprobe, file, opts),
    codec: video.codec_name ?? 'unknown',
    codedWidth: video.width ?? 0,
    codedHeight: video.height ?? 0,
    rotation,
    avgFps: parseRate(video.avg_frame_rate),
    nominalFps: parseRate(video.r_frame_rate),
    durationSec,
    startTimeSec: Number(video.start_time) || 0,
    formatStartSec: Number(json.format.start_time) || 0,
    frameCount,
    container,
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
    isImage: IMAGE_CONTAINERS.test(container) || IMAGE_CODECS.has(video.codec_name ?? '') && (frameCount ?? 1) <= 1,
  };
}

/** Keyframe spacing from the flags of the first 400 video packets (demux only, no decoding). */
async function keyframeInterval(ffprobe: string, file: string, opts: ProbeOptions & { timeoutMs: number }): Promise<number | null> {
  const res = await runProcess(
    ffprobe,
    ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#400', '-show_entries', 'packet=flags', '-of', 'csv=p=0', '--', file],
    { timeoutMs: opts.timeoutMs, signal: opts.signal, what: `Reading keyframes of ${path.basename(file)}` },
  );
  if (res.code !== 0) return null;
  const keys: number[] = [];
  res.stdout.split(/\r?\n/).filter(Boolean).forEach((flags, i) => {
    if (flags.includes('K')) keys.push(i);
  });
  return keys.length >= 2 ? (keys[keys.length - 1] - keys[0]) / (keys.length - 1) : null;
}

function parseMkvDuration(tags: Record<string, string> | undefined): number {
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(tags?.DURATION ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}

// ---- ffmpeg -i fallback -------------------------------------------------------------------------------------

async function probeWithFfmpeg(ffmpeg: string, file: string, opts: Required<Pick<ProbeOptions, 'timeoutMs'>> & ProbeOptions): Promise<StreamFacts> {
  const name = path.basename(file);
  const res = await runProcess(ffmpeg, ['-hide_banner', '-i', file], { timeoutMs: opts.timeoutMs, signal: opts.signal, what: `Probing ${name}` });
  const err = res.stderr;
  if (!/^Input #0, ([^,]+)/m.test(err)) throw await explainFailure(file, err);
  const container = /^Input #0, (.+?), from/m.exec(err)?.[1] ?? '';
  const videoLine = err.split(/\r?\n/).find((l) => /Stream #\d+:\d+.*: Video: /.test(l) && !/attached pic/.test(l));
  if (!videoLine) throw new VideoError('NOT_A_VIDEO', `${name} has no video stream`);
  const codec = /Video: (\w+)/.exec(videoLine)?.[1] ?? 'unknown';
  const size = /, (\d{2,5})x(\d{2,5})/.exec(videoLine);
  const fps = parseFloat(/([\d.]+) fps/.exec(videoLine)?.[1] ?? '0');
  const tbr = parseFloat(/([\d.]+k?) tbr/.exec(videoLine)?.[1] ?? '0');
  const dur = /Duration: (\d+):(\d+):([\d.]+)/.exec(err);
  const start = /start: (-?[\d.]+)/.exec(err);
  const rot = /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(err) ?? /rotate\s*:\s*(-?\d+)/.exec(err);
  const rotation = rot ? (rot[0].startsWith('displaymatrix') ? normalizeRotation(-Number(rot[1])) : normalizeRotation(Number(rot[1]))) : 0;
  // No frame count in `ffmpeg -i`: count by remuxing the video stream to nowhere (no decoding).
  let frameCount: number | null = null;
  const counted = await runProcess(ffmpeg, ['-hide_banner', '-nostats', '-i', file, '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-'], {
    timeoutMs: opts.timeoutMs * 4,
    signal: opts.signal,
    what: `Counting frames of ${name}`,
  });
  const frames = [...counted.stderr.matchAll(/frame=\s*(\d+)/g)].pop();
  if (counted.code === 0 && frames) frameCount = Number(frames[1]);
  return {
    codec,
    codedWidth: size ? Number(size[1]) : 0,
    codedHeight: size ? Number(size[2]) : 0,
    rotation,
    avgFps: fps,
    nominalFps: tbr || fps,
    durationSec: dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : 0,
    startTimeSec: start ? Number(start[1]) : 0,
    formatStartSec: start ? Number(start[1]) : 0,
    frameCount,
    keyframeInterval: null,
    container,
    hasAudio: /Stream #\d+:\d+.*: Audio: /.test(err),
    isImage: IMAGE_CONTAINERS.test(container) || IMAGE_CODECS.has(codec) && (frameCount ?? 1) <= 1,
  };
}

// ---- public -------------------------------------------------------------------------------------------------

export async function probeVideo(bins: FfmpegBinaries, file: string, options: ProbeOptions = {}): Promise<VideoProbe> {
  const opts = { timeoutMs: 20_000, ...options };
  const st = await checkFile(file);
  const facts = bins.ffprobe ? await probeWithFfprobe(bins.ffprobe, file, opts) : await probeWithFfmpeg(bins.ffmpeg, file, opts);
  const name = path.basename(file);
  if (facts.isImage) throw new VideoError('NOT_A_VIDEO', `${name} is a still image, not a video`);
  if (!(facts.codedWidth > 0 && facts.codedHeight > 0)) throw new VideoError('UNREADABLE', `${name}: the video stream has no frame size`);
  let fps = facts.avgFps || facts.nominalFps;
  let durationSec = facts.durationSec;
  if (!(durationSec > 0) && facts.frameCount && fps > 0) durationSec = facts.frameCount / fps;
  if (!(fps > 0) && facts.frameCount && durationSec > 0) fps = facts.frameCount / durationSec;
  if (!(durationSec > 0) || !(fps > 0)) throw new VideoError('UNREADABLE', `${name}: cannot determine the video's duration or frame rate`);
  const frameCount = facts.frameCount ?? Math.max(1, Math.round(durationSec * fps));
  const swap = facts.rotation === 90 || facts.rotation === 270;
  return {
    path: file,
    sizeBytes: st.size,
    mtimeMs: st.mtimeMs,
    inode: st.ino,
    container: facts.container,
    codec: facts.codec,
    width: swap ? facts.codedHeight : facts.codedWidth,
    height: swap ? facts.codedWidth : facts.codedHeight,
    codedWidth: facts.codedWidth,
    codedHeight: facts.codedHeight,
    rotation: facts.rotation,
    fps,
    durationSec,
    frameCount,
    frameCountExact: facts.frameCount !== null,
    startTimeSec: facts.startTimeSec,
    videoStartOffsetSec: Math.max(0, facts.startTimeSec - facts.formatStartSec),
    hasAudio: facts.hasAudio,
    keyframeInterval: facts.keyframeInterval,
    variableFrameRate: facts.nominalFps > 0 && facts.avgFps > 0 && Math.abs(facts.nominalFps - facts.avgFps) / facts.nominalFps > 0.01,
  };
}
