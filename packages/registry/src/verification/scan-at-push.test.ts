import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { pushModel } from '../client/operations.js';
import { parseModelRef, RegistryClient } from '../client/registry-client.js';
import { ADMIN, testRegistry } from '../test-support.js';
import { defaultScanner } from './scan-adapter.js';

const FIXTURES = new URL('../../../../fixtures/scan/', import.meta.url);

describe('the registry scans pushed files with the core engine (default policy)', () => {
  it('refuses a hostile pickle with SCAN_FINDINGS and accepts a benign one', async () => {
    const scanner = defaultScanner();
    expect(scanner).toBeDefined();
    const registry = await testRegistry({ scanner });
    const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const client = new RegistryClient({ baseUrl: url, token: ADMIN });
      await client.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
      const key = core.generateSigningKey();
      const modelWith = async (fixture: string) => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'modelsec-scanpush-'));
        copyFileSync(new URL(fixture, FIXTURES), path.join(dir, 'model.pkl'));
        const { bundle } = await core.signModel(dir, { kind: 'key', privateKeyPem: key.privateKeyPem });
        writeFileSync(path.join(dir, 'model.sig'), JSON.stringify(bundle));
        return dir;
      };
      const bad = await modelWith('malicious/dotted-name-torch-os-system.pkl');
      const refused = pushModel(client, bad, parseModelRef('acme/bad@1.0.0'), {
        signaturePath: path.join(bad, 'model.sig'),
        publicKeyPem: key.publicKeyPem,
      });
      await expect(refused).rejects.toMatchObject({ code: 'POLICY_DENIED' });
      await refused.catch((error: core.ModelsecError) => {
        expect((error.details.failed as { rule: string; code: string }[]).map((f) => f.code)).toContain('SCAN_FINDINGS');
      });
      const good = await modelWith('benign/plain-data-protocol-4.pkl');
      const accepted = await pushModel(client, good, parseModelRef('acme/good@1.0.0'), {
        signaturePath: path.join(good, 'model.sig'),
        publicKeyPem: key.publicKeyPem,
      });
      expect(accepted.scan.status).toBe('scanned');
    } finally {
      await registry.app.close();
    }
  });
});

describe('scan verdicts', () => {
  it('count scan errors as high (fail closed) and keep the highest unsuppressed severity', async () => {
    const { verdictFromReports } = await import('./scan-adapter.js');
    const file = { path: 'a.pkl', digest: 'a'.repeat(64), size: 1, localPath: '/x' };
    const finding = (severity: core.Severity, suppressed = false) => ({
      ruleId: 'R',
      severity,
      message: '',
      location: {},
      evidence: {},
      references: [],
      ...(suppressed ? { suppressed: { reason: 'ok' } } : {}),
    });
    const base = { path: 'a.pkl', format: 'pickle' as const, size: 1, sha256: 'a'.repeat(64) };
    expect(
      verdictFromReports([file], [{ ...base, findings: [finding('low'), finding('critical', true)], errors: [] }], 't')
        .maxSeverity,
    ).toBe('low');
    expect(
      verdictFromReports([file], [{ ...base, findings: [], errors: [{ code: 'X', message: 'unparseable' }] }], 't').maxSeverity,
    ).toBe('high');
  });
});
