/**
 * HEIC/HEIF through libheif (libheif-js: libheif and libde265 built to WebAssembly, kept up
 * with libheif's releases). sharp's prebuilt libvips reads HEIF only with AV1 inside (AVIF):
 * HEVC is not in it, and Debian 12's ffmpeg (5.1) cannot read HEIF's item-based files.
 * WebAssembly runs on the calling thread, so the hasher runs this in its worker pool (a
 * deadline there terminates the worker); the decoder's memory is bounds-checked.
 */
import { createRequire } from "node:module";
import type { RawImage } from "./frames.js";

/** The subset of libheif-js used here (its typings describe the low-level C API only). */
interface Libheif {
  ready: Promise<void>;
  heif_error_code: { heif_error_Ok: unknown };
  heif_colorspace: { heif_colorspace_RGB: unknown };
  heif_chroma: { heif_chroma_interleaved_RGB: unknown; heif_chroma_interleaved_RGBA: unknown };
  heif_context_alloc(): unknown;
  heif_context_free(ctx: unknown): void;
  heif_context_read_from_memory(ctx: unknown, bytes: Uint8Array): { code: unknown; message: string };
  heif_js_context_get_primary_image_handle(ctx: unknown): unknown;
  heif_image_handle_get_width(h: unknown): number;
  heif_image_handle_get_height(h: unknown): number;
  heif_image_handle_has_alpha_channel(h: unknown): number;
  heif_image_handle_release(h: unknown): void;
  heif_js_decode_image2(h: unknown, colorspace: unknown, chroma: unknown): Promise<{ code?: unknown; message?: string; image: unknown; channels: { width: number; height: number; stride: number; data: Uint8Array }[] }>;
  heif_image_release(img: unknown): void;
}

let lib: Libheif | undefined;

function libheif(): Libheif {
  // Loaded on the first HEIC only: 2 MB of WebAssembly most hashers never need.
  lib ??= createRequire(import.meta.url)("libheif-js/wasm-bundle") as Libheif;
  return lib;
}

/** What went wrong, as a reason code the caller turns into an error (errors lose their type across threads). */
export type HeifResult = { image: RawImage } | { reason: "corrupt" | "too-many-pixels"; message: string };

/** The primary image, transformations (rotation, mirroring, crop) applied, RGB or RGBA. */
export async function decodeHeif(bytes: Uint8Array, maxPixels: number): Promise<HeifResult> {
  const h = libheif();
  await h.ready;
  const ctx = h.heif_context_alloc();
  let handle: unknown;
  try {
    const err = h.heif_context_read_from_memory(ctx, bytes);
    if (err.code !== h.heif_error_code.heif_error_Ok) return { reason: "corrupt", message: `unreadable HEIF: ${err.message}` };
    handle = h.heif_js_context_get_primary_image_handle(ctx);
    if (!handle || (handle as { code?: unknown }).code) return { reason: "corrupt", message: "HEIF file without a primary image" };
    const width = h.heif_image_handle_get_width(handle);
    const height = h.heif_image_handle_get_height(handle);
    if (width * height > maxPixels) return { reason: "too-many-pixels", message: `${width}x${height} is more than ${maxPixels} pixels` };
    const alpha = h.heif_image_handle_has_alpha_channel(handle) !== 0;
    const img = await h.heif_js_decode_image2(handle, h.heif_colorspace.heif_colorspace_RGB, alpha ? h.heif_chroma.heif_chroma_interleaved_RGBA : h.heif_chroma.heif_chroma_interleaved_RGB);
    if (!img || img.code || !img.channels?.length) return { reason: "corrupt", message: `cannot decode HEIF: ${img?.message ?? "no image data"}` };
    try {
      const plane = img.channels[0]!;
      const channels = alpha ? 4 : 3;
      const row = plane.width * channels;
      const pixels = Buffer.allocUnsafe(row * plane.height);
      for (let y = 0; y < plane.height; y++) pixels.set(plane.data.subarray(y * plane.stride, y * plane.stride + row), y * row);
      return { image: { pixels, width: plane.width, height: plane.height, channels } };
    } finally {
      h.heif_image_release(img.image);
    }
  } finally {
    if (handle) h.heif_image_handle_release(handle);
    h.heif_context_free(ctx);
  }
}
