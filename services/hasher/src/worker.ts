// Piscina worker: the CPU-heavy JS hashing and HEIC decoding (WebAssembly), off the event loop.
import { computeHashes, type PixelsTask } from "./compute.js";
import { decodeHeif } from "./media/heif.js";

export default function hashPixels(task: PixelsTask) {
  return computeHashes(task);
}

export function heif(task: { bytes: Uint8Array; maxPixels: number }) {
  return decodeHeif(task.bytes, task.maxPixels);
}
