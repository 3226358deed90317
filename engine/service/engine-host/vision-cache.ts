// The last video through the vision tower (LLaVA's pooled tokens + patch saliency, or a Qwen-VL tower's merged tokens
// + DeepStack + token saliency), kept in the engine process next to the frame cache, so a second conversation or a
// re-ask on the same frames and model skips the tower. One entry: the
// tokens sit in the backend's memory (GPU under CUDA), which the memory estimate does not count beyond one video.
// Frames are named by their pixel array: the frame cache hands out the same array for the same file version and
// sampling, and a new array (a changed file, other sampling) is another video.
import { encodedHasSaliency, type EncodedVideo } from '../../core/session/chat-session.ts';

interface Kept {
  modelKey: string;
  pixels: Float32Array;
  encoded: EncodedVideo;
  /** Sessions being built from it now: it is freed only once none is. */
  users: number;
  replaced: boolean;
  free: () => void;
}

export class VisionCache {
  private kept: Kept | null = null;

  /** The kept encoding of these frames on this model (with patch saliency when `needsSaliency`), held until release. */
  take(modelKey: string, pixels: Float32Array, needsSaliency: boolean): { encoded: EncodedVideo; release: () => void } | null {
    const k = this.kept;
    if (!k || k.modelKey !== modelKey || k.pixels !== pixels || (needsSaliency && !encodedHasSaliency(k.encoded))) return null;
    k.users++;
    let released = false;
    return {
      encoded: k.encoded,
      release: () => {
        if (released) return;
        released = true;
        k.users--;
        this.freeIfUnused(k);
      },
    };
  }

  /** Keeps a fresh encoding (`free` frees its tokens), freeing the one kept before once no session is built from it. */
  put(modelKey: string, pixels: Float32Array, encoded: EncodedVideo, free: () => void): void {
    this.clear();
    this.kept = { modelKey, pixels, encoded, users: 0, replaced: false, free };
  }

  clear(): void {
    const k = this.kept;
    this.kept = null;
    if (!k) return;
    k.replaced = true;
    this.freeIfUnused(k);
  }

  private freeIfUnused(k: Kept): void {
    if (k.replaced && k.users === 0) k.free();
  }
}
