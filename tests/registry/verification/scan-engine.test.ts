/**
 * End to end through the registry: a pushed model with a file the scanner cannot fully inspect is refused by the
 * default policy with SCAN_INCOMPLETE naming the file (the core gate decides, the same function as `modelsec scan`),
 * and accepted once the namespace policy sets `scan.allowIncomplete: true`.
 */
import { describe, expect, it } from 'vitest';
import { pushModel } from '../../../packages/registry/src/client/operations.js';
import { parseModelRef, RegistryClient } from '../../../packages/registry/src/client/registry-client.js';
import { ADMIN, signedModel, testRegistry } from '../../../packages/registry/src/test-support.js';
import { defaultScanner } from '../../../packages/registry/src/verification/scan-adapter.js';

/** Bytes no format recognises and no pickle reading accepts (0x00 is not a pickle opcode): MS-ENG-001, incomplete. */
const UNKNOWN_BINARY = String.fromCharCode(0x00, 0x13, 0x37, 0xfe, 0xed, 0x00, 0x01, 0x02, 0x7f, 0x00);

describe('registry push of a model with an incomplete file', () => {
  it('is refused by the default policy (SCAN_INCOMPLETE naming the file) and accepted under scan.allowIncomplete', async () => {
    const registry = await testRegistry({ scanner: defaultScanner() });
    const url = await registry.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const client = new RegistryClient({ baseUrl: url, token: ADMIN });
      await client.json('POST', '/v1/namespaces', { json: { name: 'acme' } });
      const model = await signedModel({ 'config.json': '{"model_type":"tiny"}', 'weights.dat': UNKNOWN_BINARY });
      const push = (version: string) =>
        pushModel(client, model.dir, parseModelRef(`acme/tiny@${version}`), {
          signaturePath: model.signaturePath,
          publicKeyPem: model.key.publicKeyPem,
        });
      const refused = await push('1.0.0').then(
        () => undefined,
        (error: { code: string; details: { failed: { code: string; message: string; details?: unknown }[] } }) => error,
      );
      expect(refused?.code).toBe('POLICY_DENIED');
      const failed = refused?.details.failed ?? [];
      expect(failed.map((f) => f.code)).toEqual(['SCAN_INCOMPLETE']);
      expect(failed[0]?.message).toContain('weights.dat');
      expect(JSON.stringify(failed[0]?.details)).toContain('MS-ENG-001');

      await client.json('PUT', '/v1/namespaces/acme/policy', { json: { scan: { allowIncomplete: true } } });
      const accepted = await push('1.0.0');
      expect(accepted.scan.status).toBe('scanned');
      // The response carries the registry's whole scan verdict (the client type names only status and maxSeverity).
      const scan = accepted.scan as unknown as { incomplete: number; files: { path: string; verdict: string }[] };
      expect(scan.incomplete).toBe(1);
      expect(scan.files.find((f) => f.path === 'weights.dat')?.verdict).toBe('incomplete');
    } finally {
      await registry.app.close();
    }
  });
});
