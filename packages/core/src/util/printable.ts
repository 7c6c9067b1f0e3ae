/**
 * Characters a terminal acts on rather than shows, or that hide or reorder what it shows: C0 and C1 controls
 * (escape sequences clear lines, move the cursor, set the title or the clipboard), DEL, zero-width characters, the
 * line and paragraph separators, the Unicode bidirectional overrides and isolates, and the byte-order mark. Names
 * from models, archives, lockfiles, registries and logs are attacker-chosen.
 */
export const TERMINAL_UNSAFE_CHARACTERS =
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;
const ALL_UNSAFE = new RegExp(TERMINAL_UNSAFE_CHARACTERS.source, 'gu');

/**
 * `text` with every TERMINAL_UNSAFE_CHARACTERS character shown as a `\u{...}` escape (a newline too: a file name
 * holding one would print a line of its own, e.g. a fake "clean" verdict). Apply it to every name or message that
 * comes from data, never to the tool's own layout.
 */
export function printable(text: string): string {
  return text.replace(ALL_UNSAFE, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}
