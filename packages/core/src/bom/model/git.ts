import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** Bytes read from any one git metadata file (HEAD, refs, packed-refs): bounds a hostile repository. */
export const MAX_GIT_META_BYTES = 8 * 1024 * 1024;

async function readSmall(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_GIT_META_BYTES) return undefined;
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The commit SHA of HEAD in a local clone, read from `.git` files (never running git): HEAD, loose refs,
 * packed-refs, and `.git` files that point elsewhere (worktrees, submodules). Undefined when not a clone.
 */
export async function readGitHead(dir: string): Promise<string | undefined> {
  let gitDir = join(dir, '.git');
  const pointer = await readSmall(gitDir);
  if (pointer !== undefined) {
    const m = /^gitdir:\s*(.+)\s*$/m.exec(pointer);
    if (!m) return undefined;
    gitDir = resolve(dir, m[1]!.trim());
  }
  const head = (await readSmall(join(gitDir, 'HEAD')))?.trim();
  if (!head) return undefined;
  if (SHA.test(head)) return head;
  const ref = /^ref:\s*(refs\/[^\s]+)$/.exec(head)?.[1];
  if (!ref || ref.includes('..')) return undefined;
  const commonDir = (await readSmall(join(gitDir, 'commondir')))?.trim();
  const dirs = [gitDir, ...(commonDir ? [resolve(gitDir, commonDir)] : [])];
  for (const d of dirs) {
    const loose = (await readSmall(join(d, ref)))?.trim();
    if (loose && SHA.test(loose)) return loose;
    const packed = await readSmall(join(d, 'packed-refs'));
    for (const line of packed?.split('\n') ?? []) {
      const [sha, name] = line.trim().split(/\s+/);
      if (name === ref && sha && SHA.test(sha)) return sha;
    }
  }
  return undefined;
}
