/**
 * Property tests: random bytes, mutated and truncated fixtures through every pickle-family handler never throw or
 * hang, and every result is findings with known rules (truncated pickles always end in a finding).
 */
import { describe, expect, it } from 'vitest';
import { scanFixtureSpecs } from '../../../../../fixtures/scripts/generators/pickle-family.js';
import { xorshift32 } from '../../../../../fixtures/scripts/lib/fixture.js';
import { memorySource } from '../../formats/byte-source.js';
import { PICKLE_FAMILY_HANDLERS } from '../handlers/pickle-family.js';
import { ruleById } from '../rules/index.js';
import { SEVERITIES } from '../types.js';
import { looksLikePickle } from './looks-like-pickle.js';
import { standaloneScanContext } from './standalone-context.js';

async function scanAll(bytes: Uint8Array) {
  const results = [];
  for (const handler of PICKLE_FAMILY_HANDLERS) {
    const result = await handler.scan(memorySource(bytes), standaloneScanContext());
    for (const finding of result.findings) {
      expect(ruleById(finding.ruleId), finding.ruleId).toBeDefined();
      expect(SEVERITIES).toContain(finding.severity);
    }
    results.push({ handler, result });
  }
  return results;
}

describe('pickle-family parsers under random and mutated input', () => {
  it('200 random byte strings: no throw, known rules only', async () => {
    const next = xorshift32(0x5eed);
    for (let n = 0; n < 200; n++) {
      const bytes = new Uint8Array(next() % 512);
      for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
      if (n % 3 === 0 && bytes.length > 2) {
        bytes[0] = 0x80;
        bytes[1] = 2 + (next() % 4);
      }
      await scanAll(bytes);
      looksLikePickle(bytes);
    }
  });

  it('300 mutations and truncations of the fixtures: no throw; truncated pickles end in a finding', async () => {
    const next = xorshift32(0xf00d);
    const specs = scanFixtureSpecs();
    for (let n = 0; n < 300; n++) {
      const spec = specs[next() % specs.length];
      if (!spec) continue;
      const bytes = spec.bytes.slice();
      if (n % 2 === 0) {
        const cut = next() % Math.max(1, bytes.length - 1);
        const truncated = bytes.subarray(0, cut);
        const results = await scanAll(truncated);
        if (spec.format === 'pickle') {
          const pickle = results.find((r) => r.handler.formats.includes('pickle'));
          expect(pickle?.result.findings.length ?? 0, `${spec.path} cut at ${cut}`).toBeGreaterThan(0);
        }
      } else {
        for (let k = 0; k < 1 + (next() % 4); k++) bytes[next() % bytes.length] = next() & 0xff;
        await scanAll(bytes);
      }
    }
  });

  it('limits turn into findings: a pickle of 2 million MARKs is a stack-depth finding, not a crash', async () => {
    const bytes = new Uint8Array(2_000_001).fill(0x28);
    bytes[bytes.length - 1] = 0x2e;
    const handler = PICKLE_FAMILY_HANDLERS[0];
    if (!handler) throw new Error('no handler');
    const result = await handler.scan(memorySource(bytes), standaloneScanContext());
    expect(result.findings.map((f) => f.ruleId)).toContain('MS-PKL-010');
  });
});
