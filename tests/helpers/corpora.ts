/**
 * Where the shared corpora live (the scanners' test files, OMS vectors...): `MODELSEC_CORPORA`, else the first
 * `shared/corpora` found beside the repository or one of its ancestors (a git worktree sits deeper than the main
 * checkout). Conformance suites skip when it is absent on a developer machine, but FAIL when `CI` is set: a CI run
 * that silently skipped the conformance suite would report a pass it never checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestFunction } from 'vitest';
import { REPO_ROOT } from './cli.js';

export function findCorpora(): string | undefined {
  const fromEnv = process.env.MODELSEC_CORPORA;
  if (fromEnv) return existsSync(fromEnv) ? path.resolve(fromEnv) : undefined;
  for (let dir = path.resolve(REPO_ROOT); ; ) {
    const candidate = path.join(dir, 'shared', 'corpora');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** A path inside the shared corpora (`cyclonedx/examples`...), or undefined when the corpora or the path are absent. */
export function corpusPath(relative: string): string | undefined {
  const corpora = findCorpora();
  const candidate = corpora && path.join(corpora, relative);
  return candidate && existsSync(candidate) ? candidate : undefined;
}

export interface ManifestRow {
  file: string;
  format: string;
  verdict: string;
  why: string;
}

/** The scanner corpus manifest (scanners/MANIFEST.tsv), or undefined when the corpus is absent. */
export function scannerManifest(): { dir: string; rows: ManifestRow[] } | undefined {
  const corpora = findCorpora();
  const manifest = corpora && path.join(corpora, 'scanners', 'MANIFEST.tsv');
  if (!manifest || !existsSync(manifest)) return undefined;
  const rows = readFileSync(manifest, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim())
    .map((line) => {
      const [file = '', format = '', verdict = '', why = ''] = line.split('\t');
      return { file, format, verdict, why };
    });
  return { dir: path.join(corpora, 'scanners'), rows };
}

const MISSING = 'shared corpora not found: set MODELSEC_CORPORA or place shared/corpora beside the repository';

/**
 * `describe` for a suite that needs a corpus: runs it when present; when absent, skips it locally and fails it
 * under CI (one failing test naming what is missing).
 */
export function describeWithCorpus(name: string, present: boolean, body: () => void): void {
  if (present) describe(name, body);
  else if (process.env.CI)
    describe(name, () => {
      it('has its corpus (CI is set: a missing corpus fails, it never skips)', () => {
        throw new Error(MISSING);
      });
    });
  else describe.skip(name, body);
}

/**
 * `it` for one case that needs a corpus (the rest of its suite does not): runs when present; when absent, skips
 * locally and fails under CI.
 */
export function itWithCorpus(name: string, present: boolean, body: TestFunction): void {
  if (present) it(name, body);
  else if (process.env.CI)
    it(`${name} (CI is set: a missing corpus fails, it never skips)`, () => {
      throw new Error(MISSING);
    });
  else it.skip(name, body);
}
