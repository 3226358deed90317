// Issue 16 item 10: typed paths must be absolute (they name files on the machine running the app), and a folder
// written with a trailing slash is the same folder.
import { describe, expect, it } from 'vitest';
import { isAbsolutePath, relativePathProblem, samePath } from '../../../renderer/src/lib/paths.ts';

describe('typed paths', () => {
  it('refuses relative paths with a hint to use an absolute one', () => {
    expect(relativePathProblem('videos/talk.mp4', '/home/me/videos/talk.mp4')).toBe(
      '“videos/talk.mp4” is a relative path: use the full (absolute) path, like /home/me/videos/talk.mp4. Relative paths depend on the folder the app was started from.',
    );
    expect(relativePathProblem('./model', '/m')).toMatch(/relative path/);
    for (const p of ['/home/me/a.mp4', '~/a.mp4', 'C:\\Videos\\a.mp4', 'D:/v/a.mp4', '\\\\server\\share\\a.mp4']) {
      expect(isAbsolutePath(p), p).toBe(true);
      expect(relativePathProblem(p, '/x')).toBeNull();
    }
  });
  it('the same folder with or without a trailing slash is one folder', () => {
    expect(samePath('/models/x/', '/models/x')).toBe(true);
    expect(samePath('/models/x', '/models/y')).toBe(false);
  });
});
