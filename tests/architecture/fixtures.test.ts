import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { buildFixtures, renderManifest } from '../helpers/fixture-builders.js';

describe('fixtures/ (npm run fixtures)', () => {
  it('regenerating every fixture changes no committed byte', async () => {
    const { files, manifest } = await buildFixtures();
    const root = join(REPO_ROOT, 'fixtures');
    expect(readFileSync(join(root, 'MANIFEST.json'), 'utf8')).toBe(renderManifest(manifest));
    for (const [path, bytes] of files) {
      const onDisk = readFileSync(join(root, path));
      expect(Buffer.compare(onDisk, Buffer.from(bytes)), `fixtures/${path} differs from its generator`).toBe(0);
    }
  });

  it('names every hostile fixture after a technique and describes it', async () => {
    const { manifest } = await buildFixtures();
    for (const entry of manifest) expect(entry.description.length, entry.path).toBeGreaterThan(10);
  });
});
