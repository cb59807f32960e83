/** The catalog's settings, apart from its code so the module table reads them without loading it. */
import { settings } from "@booru/runtime";

export const catalogSettings = {
    indexRefresh: settings.duration("BOORU_CATALOG_INDEX_REFRESH", 300_000, "how often the similarity index is reconciled with the store, healing missed events"),
    maxThumbnailBytes: settings.bytes("BOORU_CATALOG_MAX_THUMBNAIL_BYTES", 2 * 1024 * 1024, "largest thumbnail PutImage accepts"),
};
