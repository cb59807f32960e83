/** The watcher's settings, apart from its code so the module table reads them without loading it. */
import { settings } from "@booru/runtime";

export const DEFAULT_EXTENSIONS = [
  ...["jpg", "jpeg", "jpe", "jfif", "png", "apng", "gif", "webp", "avif", "bmp", "tif", "tiff", "heic", "heif", "jxl"],
  ...["mp4", "m4v", "webm", "mkv", "mov", "avi"],
  ...["zip", "cbz", "ugoira"],
];

export const watcherSettings = {
  watchPoll: settings.bool("BOORU_WATCH_POLL", false, "poll instead of inotify (network shares)"),
  watchPollInterval: settings.duration("BOORU_WATCH_POLL_INTERVAL", 2000, "polling interval with --watch-poll"),
  settleTime: settings.duration("BOORU_SETTLE_TIME", 2000, "a file is published once its size and mtime have not changed for this long"),
  rescanInterval: settings.duration("BOORU_RESCAN_INTERVAL", 300_000, "full reconcile scan interval (0: only at start)"),
  ignore: settings.list(
    "BOORU_IGNORE",
    // Downloads in progress (browsers, torrent and download managers), editors' temp and lock files, hidden files.
    ["*.part", "*.crdownload", "*.tmp", "*.partial", "*.download", "*.opdownload", "*.!qB", "*.!ut", "*.aria2", "*.filepart", "*.temp", ".*", "~*"],
    "name patterns never published (* and ?): temporary names are waited for until renamed; counted by booru stats",
  ),
  extensions: settings.list("BOORU_EXTENSIONS", DEFAULT_EXTENSIONS, "file extensions that are published"),
  watcherId: settings.optional("BOORU_WATCHER_ID", "name on published events (default host:pid)"),
};
