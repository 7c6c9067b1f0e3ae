/** Helpers shared by the registry tests (not exported from the package). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSigningKey, signModel } from '@modelsec/core/signing';
import { fixedClock } from '@modelsec/core/util';
import { createRegistry, type Registry } from './app.js';

export const ADMIN = 'msk_test-admin-token';

export function tempDir(prefix = 'modelsec-reg-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A small model directory signed with a fresh P-256 key; model.sig written inside. */
export async function signedModel(files: Record<string, string> = { 'config.json': '{"a":1}', 'weights.bin': 'weights-bytes' }) {
  const dir = tempDir('modelsec-model-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  const key = generateSigningKey();
  const { bundle, digest } = await signModel(dir, { kind: 'key', privateKeyPem: key.privateKeyPem });
  const signaturePath = path.join(dir, 'model.sig');
  writeFileSync(signaturePath, JSON.stringify(bundle));
  return { dir, key, bundle, digest, signaturePath };
}

/** A registry with admin token ADMIN and no scanner (tests set `scan.required: false` where they push). */
export async function testRegistry(
  extra: Partial<Parameters<typeof createRegistry>[0]> = {},
): Promise<Registry & { dataDir: string }> {
  const dataDir = tempDir();
  const registry = await createRegistry({
    dataDir,
    adminToken: ADMIN,
    clock: fixedClock('2026-01-02T03:04:05Z'),
    scanner: null,
    ...extra,
  });
  return { ...registry, dataDir };
}
