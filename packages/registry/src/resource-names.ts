/**
 * The names a client will write to disk (pull) or accept as published files (check), and the only names push accepts
 * (one rule for both sides): relative POSIX paths that stay inside the output directory on every filesystem and show as
 * what they are in a terminal.
 */
import { ModelsecError } from '@modelsec/core/errors';
import { printable, TERMINAL_UNSAFE_CHARACTERS } from '@modelsec/core/util';

/** Longest path component in UTF-8 bytes (NAME_MAX of Linux, macOS and Windows filesystems). */
export const MAX_NAME_COMPONENT_BYTES = 255;
/** Longest relative path in UTF-8 bytes (below PATH_MAX 4096 once joined to an output directory). */
export const MAX_NAME_PATH_BYTES = 3072;

/**
 * Characters refused anywhere in a name: C0 controls and DEL (NUL, newline, ESC of ANSI escape sequences), C1
 * controls (0x9B is a one-byte CSI), bidirectional overrides and isolates (a name that displays as another),
 * zero-width characters, line and paragraph separators and the BOM (core's TERMINAL_UNSAFE_CHARACTERS).
 */
const UNSAFE_CHARACTERS = TERMINAL_UNSAFE_CHARACTERS;

/**
 * `text` (a registry's error message, a yank reason, a logged signer) with every unsafe character shown as a
 * `\u{...}` escape: what a registry says is printed as text, never as terminal control sequences (core's printable).
 */
export { printable };

/** Why `name` is unsafe, or undefined. */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (/\p{Cs}/u.test(name)) return 'is not valid Unicode (a lone surrogate)';
  if (UNSAFE_CHARACTERS.test(name)) return 'holds a control, escape, bidirectional or zero-width character';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is absolute';
  if (name.includes('\\')) return 'holds a backslash';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_PATH_BYTES) return `is longer than ${MAX_NAME_PATH_BYTES} bytes`;
  for (const segment of name.split('/')) {
    if (segment === '') return 'has an empty segment';
    if (segment === '.' || segment === '..') return `has a '${segment}' segment`;
    if (Buffer.byteLength(segment, 'utf8') > MAX_NAME_COMPONENT_BYTES)
      return `has a segment longer than ${MAX_NAME_COMPONENT_BYTES} bytes`;
  }
  return undefined;
}

/** The key two names collide on: the same after Unicode normalisation (NFC) and case folding. */
function foldKey(name: string): string {
  return name.normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * Checks a set of names as pull would write them: each is safe (unsafeNameReason), no two are equal after NFC
 * normalisation and case folding (one would overwrite the other on macOS or Windows, or pass for it when listed),
 * no name is also a directory of another, and directories do not collide either. Throws PULL_NAME_UNSAFE listing
 * every problem.
 */
export function assertSafeNames(names: readonly string[]): void {
  const problems: { name: string; reason: string }[] = [];
  const files = new Map<string, string>();
  const dirs = new Map<string, string>();
  for (const name of names) {
    const reason = unsafeNameReason(name);
    if (reason) {
      problems.push({ name, reason });
      continue;
    }
    const key = foldKey(name);
    const other = files.get(key);
    if (other !== undefined)
      problems.push({ name, reason: `collides with '${other}' after Unicode normalisation or case folding` });
    else files.set(key, name);
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const dkey = foldKey(dir);
      const known = dirs.get(dkey);
      if (known !== undefined && known !== dir)
        problems.push({ name, reason: `directory '${dir}' collides with '${known}' after normalisation or case folding` });
      else dirs.set(dkey, dir);
    }
  }
  for (const [key, name] of files)
    if (dirs.has(key)) problems.push({ name, reason: `is both a file and a directory ('${dirs.get(key)}/...')` });
  if (problems.length > 0) {
    const shown = problems
      .slice(0, 5)
      .map((p) => `${JSON.stringify(p.name)} ${p.reason}`)
      .join('; ');
    throw new ModelsecError(
      'PULL_NAME_UNSAFE',
      `unsafe file name(s): ${shown}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`,
      {
        details: { problems },
      },
    );
  }
}
