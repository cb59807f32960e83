import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ingestV1 } from "@booru/proto";
import { createLogger } from "@booru/runtime";
import { RejectedFiles } from "./rejected-files.js";

const log = createLogger("test", "silent");
const { RETRY, DELETE } = ingestV1.RejectedFileActionKind;

function setup() {
  const root = mkdtempSync(path.join(tmpdir(), "rejected-files-"));
  const rejected = path.join(root, "rejected");
  const inbox = path.join(root, "inbox");
  mkdirSync(path.join(rejected, "camera"), { recursive: true });
  mkdirSync(inbox);
  writeFileSync(path.join(rejected, "camera", "bad.jpg"), "fixed bytes");
  writeFileSync(path.join(rejected, "camera", "bad.jpg.reason.json"), "{}");
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(path.join(rejected, "camera", "bad.jpg"), old, old);
  return { root, rejected, inbox, files: new RejectedFiles({ rejected, inboxes: [inbox] }, log) };
}

const action = (kind: ingestV1.RejectedFileActionKind, over: Partial<ingestV1.RejectedFileAction> = {}) =>
  ingestV1.RejectedFileAction.fromPartial({ rejectionId: "r1", storedPath: "camera/bad.jpg", sourcePath: "camera/bad.jpg", kind, atUnixMs: Date.now(), ...over });

describe("rejected files", () => {
  it("retry puts the file back where it came from in the inbox, modified now, without its reason; a repeat does nothing", async () => {
    const { rejected, inbox, files } = setup();
    const before = Date.now() - 1000;
    expect(await files.apply(action(RETRY))).toEqual({ retried: "camera/bad.jpg", inbox });
    const back = path.join(inbox, "camera", "bad.jpg");
    expect(readFileSync(back, "utf8")).toBe("fixed bytes");
    expect(statSync(back).mtimeMs).toBeGreaterThan(before);
    expect(existsSync(path.join(rejected, "camera", "bad.jpg"))).toBe(false);
    expect(existsSync(path.join(rejected, "camera", "bad.jpg.reason.json"))).toBe(false);
    expect(await files.apply(action(RETRY))).toBe("gone");
  });

  it("retry never overwrites a file of the same name in the inbox", async () => {
    const { inbox, files } = setup();
    mkdirSync(path.join(inbox, "camera"));
    writeFileSync(path.join(inbox, "camera", "bad.jpg"), "someone else's");
    const out = await files.apply(action(RETRY));
    expect(out).not.toEqual({ retried: "camera/bad.jpg", inbox });
    expect(readFileSync(path.join(inbox, "camera", "bad.jpg"), "utf8")).toBe("someone else's");
    expect(readFileSync(path.join(inbox, (out as { retried: string }).retried), "utf8")).toBe("fixed bytes");
  });

  it("delete removes the file and its reason", async () => {
    const { rejected, files } = setup();
    expect(await files.apply(action(DELETE))).toBe("deleted");
    expect(existsSync(path.join(rejected, "camera", "bad.jpg"))).toBe(false);
    expect(existsSync(path.join(rejected, "camera", "bad.jpg.reason.json"))).toBe(false);
  });

  it("refuses paths outside rejected/ and an inbox path that climbs out", async () => {
    const { root, inbox, files } = setup();
    writeFileSync(path.join(root, "secret.txt"), "keep");
    expect(await files.apply(action(DELETE, { storedPath: "../secret.txt" }))).toBe("outside-rejected");
    expect(readFileSync(path.join(root, "secret.txt"), "utf8")).toBe("keep");
    // A source path that would leave the inbox: the file goes to the inbox's top under its own name.
    expect(await files.apply(action(RETRY, { sourcePath: "../../etc/bad.jpg" }))).toEqual({ retried: "bad.jpg", inbox });
    expect(existsSync(path.join(inbox, "bad.jpg"))).toBe(true);
  });

  it("retry goes back to the inbox the file came from (its reason names it), else to the first inbox", async () => {
    const { root, rejected, inbox } = setup();
    const phone = path.join(root, "phone");
    mkdirSync(phone);
    // The second inbox by another spelling: dedup records the inbox as it resolved it.
    symlinkSync(phone, path.join(root, "phone-link"));
    const files = new RejectedFiles({ rejected, inboxes: [inbox, path.join(root, "phone-link")] }, log);
    const reject = (name: string, reason: unknown) => {
      writeFileSync(path.join(rejected, "camera", name), `bytes of ${name}`);
      writeFileSync(path.join(rejected, "camera", `${name}.reason.json`), typeof reason === "string" ? reason : JSON.stringify(reason));
    };
    reject("from-phone.jpg", { reason: "corrupt", source: "camera/from-phone.jpg", inbox: phone });
    expect(await files.apply(action(RETRY, { storedPath: "camera/from-phone.jpg", sourcePath: "camera/from-phone.jpg" }))).toEqual({ retried: "camera/from-phone.jpg", inbox: path.join(root, "phone-link") });
    expect(readFileSync(path.join(phone, "camera", "from-phone.jpg"), "utf8")).toBe("bytes of from-phone.jpg");
    expect(existsSync(path.join(inbox, "camera", "from-phone.jpg"))).toBe(false);

    // An inbox no longer configured, a reason file cut short, none at all: the first inbox.
    reject("elsewhere.jpg", { inbox: path.join(root, "removed-inbox") });
    reject("cut.jpg", '{"reason": "corrupt", "inbo');
    writeFileSync(path.join(rejected, "camera", "bare.jpg"), "bytes of bare.jpg");
    for (const name of ["elsewhere.jpg", "cut.jpg", "bare.jpg"]) {
      expect(await files.apply(action(RETRY, { storedPath: `camera/${name}`, sourcePath: `camera/${name}` }))).toEqual({ retried: `camera/${name}`, inbox });
      expect(readFileSync(path.join(inbox, "camera", name), "utf8")).toBe(`bytes of ${name}`);
    }
  });
});
