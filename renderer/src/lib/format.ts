// Small, pure formatting helpers shared by the views.

/** 75.4 -> "1:15", 3723 -> "1:02:03". */
export function formatClock(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '–:––';
  const total = Math.floor(sec);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** formatClock with `decimals` digits of seconds, truncated like a player's clock: (1.56, 1) -> "0:01.5". */
export function formatClockPrecise(sec: number, decimals: number): string {
  if (decimals <= 0 || !Number.isFinite(sec) || sec < 0) return formatClock(sec);
  const scale = 10 ** decimals;
  // The epsilon keeps 0.3 * 10 = 2.9999… from truncating to 0:00.2.
  const ticks = Math.floor(sec * scale + 1e-6);
  const whole = Math.floor(ticks / scale);
  return `${formatClock(whole)}.${String(ticks % scale).padStart(decimals, '0')}`;
}

/**
 * Clock labels for a list of frame times, all with the fewest decimals (0 to 3) that keep different times apart:
 * a 3 s clip sampled at 8 frames reads 0:00.0, 0:00.3, ... instead of 0:00, 0:00, 0:01, ...
 */
export function clockLabels(times: readonly number[]): string[] {
  const distinct = new Set(times.map((t) => Math.round(t * 1000))).size;
  for (let d = 0; d < 3; d++) {
    const labels = times.map((t) => formatClockPrecise(t, d));
    if (new Set(labels).size >= distinct) return labels;
  }
  return times.map((t) => formatClockPrecise(t, 3));
}

/** Speedup vs dense as shown: "2.31× faster", "0.53× (slower)". Below 1 the sparse run took longer. */
export function formatSpeedup(x: number): { text: string; slower: boolean } {
  const slower = x < 0.995;
  return { text: `${x.toFixed(2)}×${slower ? ' (slower)' : ''}`, slower };
}

/** Binary units named as such (KiB, MiB, GiB), like the memory estimate's messages: 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 10_000) return `${(n / 1000).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** "1 token", "2 tokens". */
export function countOf(n: number, noun: string): string {
  return `${formatCount(n)} ${n === 1 ? noun : `${noun}s`}`;
}

export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}K`;
  return String(n);
}

export function formatRelative(then: number, now = Date.now()): string {
  const d = Math.max(0, now - then) / 1000;
  if (d < 60) return 'just now';
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  if (d < 7 * 86400) return `${Math.floor(d / 86400)} d ago`;
  return new Date(then).toLocaleDateString();
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e && typeof (e as { message: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  return String(e);
}
