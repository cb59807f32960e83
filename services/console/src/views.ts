import { catalogV1, hasherV1 } from "@booru/proto";

/** What a grid cell needs of an image (the whole record is for the image page). */
export interface Card {
  md5: string;
  name: string;
  kind: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  ingested: number;
}

const KINDS: Record<number, string> = { [hasherV1.MediaKind.ANIMATION]: "animation", [hasherV1.MediaKind.VIDEO]: "video", [hasherV1.MediaKind.ARCHIVE]: "archive" };

export const kindOf = (image: catalogV1.Image) => KINDS[image.info?.kind ?? 0] ?? "image";

export function card(image: catalogV1.Image): Card {
  return {
    md5: image.md5,
    name: image.originalName,
    kind: kindOf(image),
    format: image.info?.format ?? "",
    width: image.info?.width ?? 0,
    height: image.info?.height ?? 0,
    bytes: image.info?.bytes ?? 0,
    ingested: image.ingestedUnixMs,
  };
}

export const KIND_VALUES: Record<string, hasherV1.MediaKind> = {
  image: hasherV1.MediaKind.IMAGE,
  animation: hasherV1.MediaKind.ANIMATION,
  video: hasherV1.MediaKind.VIDEO,
  archive: hasherV1.MediaKind.ARCHIVE,
};

/** An event as the page shows it: the kind, the time, the image's card or the file's name. */
export function eventView(e: catalogV1.Event) {
  if (e.ingested) return { type: "ingested", at: e.atUnixMs, image: card(e.ingested) };
  if (e.duplicate) return { type: "duplicate", at: e.atUnixMs, md5: e.duplicate.md5, name: e.duplicate.sourcePath };
  if (e.rejected) return { type: "rejected", at: e.atUnixMs, name: e.rejected.sourcePath, reason: e.rejected.reason };
  if (e.deletedMd5) return { type: "deleted", at: e.atUnixMs, md5: e.deletedMd5 };
  const group = e.nearGroupCreated ?? e.nearGroupChanged;
  if (group) return { type: "near", at: e.atUnixMs, md5: group.suggestedKeep, names: group.members.slice(0, 4).map((m) => m.originalName || m.md5), members: group.members.length };
  return { type: "other", at: e.atUnixMs };
}

export function rejectionView(r: catalogV1.Rejection) {
  return { id: r.id, name: r.sourcePath, reason: r.reason, message: r.message, at: r.atUnixMs, attempts: r.attempts, storedPath: r.storedPath };
}
