// Piscina worker: the CPU-heavy JS hashing, off the event loop.
import { computeHashes, type PixelsTask } from "./compute.js";

export default function hashPixels(task: PixelsTask) {
  return computeHashes(task);
}
