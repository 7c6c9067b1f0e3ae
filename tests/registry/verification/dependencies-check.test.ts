/**
 * `check` applies the policy's `dependencies` rule to the verified ML-BOM (the logged bytes), as the registry does at
 * push: a recorded malicious package fails, a clean audited ML-BOM passes, a version without an ML-BOM fails.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path, { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../packages/registry/src/test-support.js';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { failedCodes, freshClient, MaliciousRegistry, signedFixture, tempFile } from '../../helpers/malicious-registry.js';

vi.setConfig({ testTimeout: 240_000 });

const AUDIT = join(REPO_ROOT, 'fixtures', 'deps', 'audit');

async function auditedBom(lockfile: string): Promise<Buffer> {
  const dir = tempDir('modelsec-deps-check-');
  cpSync(join(AUDIT, lockfile), join(dir, path.basename(lockfile)));
  writeFileSync(join(dir, 'config.json'), '{"model_type":"bert"}');
  const out = join(dir, '..', `${path.basename(dir)}.cdx.json`);
  const run = await runCli(['bom', dir, '-o', out, '--deps-audit', '--osv', join(AUDIT, 'osv/PyPI/all.zip')]);
  expect(run.code, run.stderr).toBe(0);
  return readFileSync(out);
}

describe('check with a dependencies policy', () => {
  it('fails on a recorded malicious package, passes a clean audit, fails without an ML-BOM', async () => {
    const bad = await auditedBom('projects/requirements/requirements.txt');
    const good = await auditedBom('projects/clean/requirements.txt');
    const policy = tempFile(
      'deps-policy.json',
      JSON.stringify({ models: ['acme/tiny'], dependencies: { maxSeverity: 'high', refuseMalicious: true } }),
    );
    for (const [bom, expected] of [
      [bad, ['POLICY_DENIED', 'POLICY_DENIED']],
      [good, []],
      [undefined, ['POLICY_DENIED']],
    ] as const) {
      const m = await signedFixture();
      const r = await MaliciousRegistry.start();
      try {
        const attachments = bom ? [{ kind: 'mlbom' as const, digest: r.addBlob(bom) }] : [];
        r.publish(m, { version: '1.0.0', attachments });
        const res = await runCli(
          ['check', m.dir, '--public-key', tempFile('k.pub', m.publicKeyPem), '--json', '--policy', policy],
          { env: freshClient(r) },
        );
        expect(failedCodes(res.json()), res.stdout).toEqual([...expected]);
        if (bom === bad) expect(res.stdout).toContain('torchtriton 3.0.0 (MAL-0000-torchtriton)');
      } finally {
        await r.close();
      }
    }
  });
});
