/**
 * The frame signature of an animation or a video, and its distance. Pure (no decoder, no I/O):
 * the catalog's similarity search and near-duplicate detection import it as
 * `@booru/hasher/signature` without loading the hasher.
 *
 * Signature: the phash64 of SIGNATURE_FRAMES frames, the frame shown at each of the times
 * (i + 0.5) * duration / SIGNATURE_FRAMES (i = 0..15), in time order; each is imagehash's
 * phash(hash_size=8) of the frame reduced to 32x32 (aspect ignored, as phash ignores it), so a
 * resized or re-encoded copy gives nearly the same values. Written as 16 hex digits per frame,
 * concatenated (256 hex digits), in the form imagehash prints a phash.
 *
 * Distance: how far apart two signatures are, on the scale of one phash64 (0..64), so the
 * thresholds people know from images carry over. For each frame of one signature, the
 * smallest Hamming distance to the other's frames within MAX_SHIFT positions (a copy trimmed or
 * padded by a second samples slightly shifted times; the window absorbs that drift); the mean
 * of those minima over all frames but the MAX_SHIFT largest (frames a trim removed have no
 * counterpart); the larger of the two directions, rounded. Unrelated videos land near 25,
 * re-encoded, resized or trimmed copies under 10 (measured in src/media/video.test.ts).
 */

export const SIGNATURE_FRAMES = 16;
/** Positions a frame may move between two copies (2 of 16: an eighth of the duration). */
export const MAX_SHIFT = 2;
/** Default FindSimilar threshold for signatures. */
export const DEFAULT_SIGNATURE_DISTANCE = 10;

const HEX = /^[0-9a-f]+$/i;

/** Two 32-bit words per frame (high, low), or undefined when `hex` is not a signature. */
export function parseSignature(hex: string): Uint32Array | undefined {
  if (hex.length !== SIGNATURE_FRAMES * 16 || !HEX.test(hex)) return undefined;
  const words = new Uint32Array(SIGNATURE_FRAMES * 2);
  for (let i = 0; i < words.length; i++) words[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  return words;
}

/** The hex signature of per-frame phash64 values (16 hex digits each). */
export function formatSignature(frameHashes: readonly string[]): string {
  if (frameHashes.length !== SIGNATURE_FRAMES || frameHashes.some((h) => h.length !== 16)) throw new Error(`a signature is ${SIGNATURE_FRAMES} phash64 values`);
  return frameHashes.join("");
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

const frameDistance = (a: Uint32Array, i: number, b: Uint32Array, j: number) => popcount32((a[2 * i]! ^ b[2 * j]!) >>> 0) + popcount32((a[2 * i + 1]! ^ b[2 * j + 1]!) >>> 0);

/** Mean over a's frames (all but the MAX_SHIFT worst) of the nearest of b's frames within MAX_SHIFT positions. */
function directed(a: Uint32Array, b: Uint32Array): number {
  const minima = new Array<number>(SIGNATURE_FRAMES);
  for (let i = 0; i < SIGNATURE_FRAMES; i++) {
    let best = 64;
    for (let j = Math.max(0, i - MAX_SHIFT); j <= Math.min(SIGNATURE_FRAMES - 1, i + MAX_SHIFT); j++) best = Math.min(best, frameDistance(a, i, b, j));
    minima[i] = best;
  }
  minima.sort((x, y) => x - y);
  let sum = 0;
  for (let i = 0; i < SIGNATURE_FRAMES - MAX_SHIFT; i++) sum += minima[i]!;
  return sum / (SIGNATURE_FRAMES - MAX_SHIFT);
}

/** The distance (0..64) between two parsed signatures; see the module comment. Symmetric. */
export function signatureDistance(a: Uint32Array, b: Uint32Array): number {
  return Math.round(Math.max(directed(a, b), directed(b, a)));
}
