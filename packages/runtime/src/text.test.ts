import { describe, expect, it } from "vitest";
import { printable, safeJson } from "./text.js";
import { prettyLine } from "./logger.js";

// A name anyone who can drop a file may choose: set the window title, clear the screen, colour,
// a C1 CSI, DEL, a newline that fakes a second line, and a right-to-left override.
const HOSTILE = "a\u001b]0;owned\u0007b\u001b[2J\u001b[31mred\u009b1m\u007f\nfake line\tx\u202egpj.exe";

describe("printable", () => {
  it("shows every control and bidi character as an escape, nothing else changes", () => {
    expect(printable(HOSTILE)).toBe("a\\e]0;owned\\x07b\\e[2J\\e[31mred\\x9b1m\\x7f\\nfake line\\tx\\u202egpj.exe");
    expect(printable("plain ünïcödé 写真 photo (1).jpg")).toBe("plain ünïcödé 写真 photo (1).jpg");
    expect(printable(HOSTILE)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });
});

describe("safeJson", () => {
  it("parses back to exactly the same value, with nothing a terminal acts on", () => {
    const value = { name: HOSTILE, list: [HOSTILE] };
    const text = safeJson(value, 2);
    expect(JSON.parse(text)).toEqual(value);
    expect(text.replace(/\n {0,4}/g, "")).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });
});

describe("pretty log lines", () => {
  it("print a logged file name escaped", () => {
    const line = prettyLine(JSON.stringify({ level: 30, time: "2024-05-01T12:00:01.000Z", module: "dedup", msg: "file ingested", source: HOSTILE }));
    expect(line).toBe(`12:00:01 INFO  [dedup] file ingested  source=${printable(HOSTILE)}\n`);
  });
});
