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
    expect(scanner.name).toMatch(/^modelsec \d+\.\d+\.\d+/);
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
  it('keep the highest unsuppressed severity and mark incomplete files, which the core gate refuses by default', async () => {
    const { verdictFromReports } = await import('./scan-adapter.js');
    const file = { path: 'a.pkl', digest: 'a'.repeat(64), size: 1, localPath: '/x' };
    const finding = (severity: core.Severity, suppressed = false, incomplete = false) => ({
      ruleId: 'R',
      severity,
      message: '',
      location: {},
      evidence: {},
      references: [],
      ...(incomplete ? { incomplete: true as const } : {}),
      ...(suppressed ? { suppressed: { reason: 'ok' } } : {}),
    });
    const base = { path: 'a.pkl', format: 'pickle' as const, size: 1, sha256: 'a'.repeat(64), verdict: 'findings' as const };
    const low = verdictFromReports([file], [{ ...base, findings: [finding('low'), finding('critical', true)], errors: [] }], 't');
    expect(low.maxSeverity).toBe('low');
    expect(low.files[0]?.verdict).toBe('findings');
    expect(core.evaluateGate(low.files, { failOn: core.failOnAbove('medium'), allowIncomplete: false }).pass).toBe(true);
    // An unparseable file is not "high" by a registry mapping of its own: it is incomplete, and the gate says no.
    const unparsed = verdictFromReports(
      [file],
      [{ ...base, findings: [finding('medium', false, true)], errors: [{ code: 'FORMAT_INVALID', message: 'unparseable' }] }],
      't',
    );
    expect(unparsed.maxSeverity).toBe('medium');
    expect(unparsed.incomplete).toBe(1);
    expect(unparsed.files[0]?.verdict).toBe('incomplete');
    const gate = core.evaluateGate(unparsed.files, { failOn: core.failOnAbove('medium'), allowIncomplete: false });
    expect(gate.failures.map((f) => f.reason)).toEqual(['incomplete']);
    expect(core.evaluateGate(unparsed.files, { failOn: core.failOnAbove('medium'), allowIncomplete: true }).pass).toBe(true);
  });
});
