import { settings } from "@booru/runtime";

export const consoleSettings = {
  webListen: settings.address("BOORU_WEB_LISTEN", "127.0.0.1:8080", "web console HTTP address (beyond loopback only with BOORU_TOKENS_FILE)"),
  webMaxUpload: settings.bytes("BOORU_WEB_MAX_UPLOAD", 32 * 1024 * 1024, "largest picture the console's search by picture takes (hashed, never stored)"),
  webSessionTtl: settings.duration("BOORU_WEB_SESSION_TTL", 12 * 3_600_000, "how long a console login lasts"),
};
