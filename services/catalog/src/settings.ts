/** The catalog's settings, apart from its code so the module table reads them without loading it. */
import { settings } from "@booru/runtime";
import { DEFAULT_KEEPER } from "./near/keeper.js";
import { DEFAULT_NEAR_RULE } from "./near/rule.js";

export const catalogSettings = {
    indexRefresh: settings.duration("BOORU_CATALOG_INDEX_REFRESH", 300_000, "how often the similarity index is reconciled with the store, healing missed events"),
    maxThumbnailBytes: settings.bytes("BOORU_CATALOG_MAX_THUMBNAIL_BYTES", 2 * 1024 * 1024, "largest thumbnail PutImage accepts"),
    nearDuplicates: settings.oneOf("BOORU_NEAR_DUPLICATES", ["review", "keep-best", "off"], "review", "near-duplicates at ingest: recorded as groups for review, resolved by the keeper rule (the worse copy dropped), or not looked for"),
    nearPhash64: settings.int("BOORU_NEAR_PHASH64", DEFAULT_NEAR_RULE.phash64, "near-duplicate pair: largest phash64 distance", 0, 64),
    nearDhash64: settings.int("BOORU_NEAR_DHASH64", DEFAULT_NEAR_RULE.dhash64, "near-duplicate pair: largest dhash64 distance", 0, 64),
    nearFrames: settings.int("BOORU_NEAR_FRAMES", DEFAULT_NEAR_RULE.frames, "near-duplicate pair of animations or videos: largest frame-signature distance", 0, 64),
    nearKeeper: settings.list("BOORU_NEAR_KEEPER", DEFAULT_KEEPER, "the suggested keeper of a group: criteria in order (pixels, lossless, bytes, earliest)"),
    nearPoll: settings.duration("BOORU_NEAR_POLL", 2000, "how often a replica looks for near-duplicate work (and the detector lease) besides being told"),
};
