// Paths typed by the user name files on the machine that runs the app (or serve mode): only absolute ones mean the same
// thing there as here.

/** "/home/me/a.mp4", "C:\\Videos\\a.mp4", "\\\\server\\share\\a.mp4" and "~/a.mp4" (expanded there) are absolute. */
export function isAbsolutePath(p: string): boolean {
  return /^(\/|~(\/|$)|[A-Za-z]:[\\/]|\\\\)/.test(p.trim());
}

/** Why a typed path is refused, or null when it may be sent. */
export function relativePathProblem(p: string, example: string): string | null {
  if (!p.trim() || isAbsolutePath(p)) return null;
  return `“${p.trim()}” is a relative path: use the full (absolute) path, like ${example}. Relative paths depend on the folder the app was started from.`;
}

/** The same folder written differently ("/m/x/" and "/m/x") compares equal. */
export function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.trim().replace(/[\\/]+$/, '');
  return norm(a) === norm(b);
}
