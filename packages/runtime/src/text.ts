/** Text that reaches a terminal: file names and anything else users or servers choose. */

/**
 * Characters a terminal acts on instead of showing: C0 controls (escape, newline, tab...), DEL,
 * C1 controls, and the bidirectional overrides and isolates that make text display in another
 * order than it is stored (U+202E turns "gpj.exe" around).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same minus C0, which JSON.stringify already escapes inside strings (outside them it is layout). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e" };

/**
 * Text from the server or from file names, safe to print on a terminal: every character above
 * is shown as an escape (\e, \n, \x7f, \u202e), so a file name cannot move the cursor, set the
 * window title, recolour the screen or spoof a line. Everything printed for people goes through it.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/** JSON with the same characters written as \u escapes: the same document once parsed, but inert on a terminal. */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
