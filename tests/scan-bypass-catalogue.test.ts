/**
 * One regression fixture per bypass technique of the scanning catalogue (fixtures/scripts/generators/pickle-family.ts):
 * each hostile file is caught at its severity; each benign one gets nothing at high or above.
 */
import { describe, expect, it } from 'vitest';
import { scanFixtureSpecs } from '../fixtures/scripts/generators/pickle-family.js';
import { memorySource } from '../packages/core/src/formats/byte-source.js';
import { PICKLE_FAMILY_HANDLERS } from '../packages/core/src/scan/handlers/pickle-family.js';
import { standaloneScanContext } from '../packages/core/src/scan/pickle/standalone-context.js';
import { atLeast } from '../packages/core/src/scan/types.js';

describe('bypass catalogue regression fixtures', () => {
  for (const spec of scanFixtureSpecs()) {
    it(`${spec.expect}: ${spec.path}`, async () => {
      const handler = PICKLE_FAMILY_HANDLERS.find((h) => h.formats.includes(spec.format));
      if (!handler) throw new Error(`no handler for ${spec.format}`);
      const result = await handler.scan(memorySource(spec.bytes), standaloneScanContext());
      const lines = result.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n');
      if (spec.expect === 'benign') {
        expect(
          result.findings.filter((f) => atLeast(f.severity, 'high')),
          lines,
        ).toEqual([]);
      } else {
        expect(
          result.findings.some((f) => atLeast(f.severity, spec.expect as 'medium')),
          `${spec.description}\n${lines}`,
        ).toBe(true);
      }
    });
  }

  it('--strict raises a non-allowlisted global to high; allowedGlobals silences it', async () => {
    const { PickleBuilder } = await import('../fixtures/scripts/lib/pickle-builder.js');
    const bytes = new PickleBuilder().proto(2).global('mypkg.models', 'Net').emptyTuple().newobj().stop().bytes();
    const handler = PICKLE_FAMILY_HANDLERS[0];
    if (!handler) throw new Error('no handler');
    const normal = await handler.scan(memorySource(bytes), standaloneScanContext());
    expect(normal.findings.map((f) => f.severity)).toEqual(['medium']);
    const strict = await handler.scan(memorySource(bytes), standaloneScanContext({ allowedGlobals: [], strict: true }));
    expect(strict.findings.map((f) => f.severity)).toEqual(['high']);
    const allowed = await handler.scan(memorySource(bytes), standaloneScanContext({ allowedGlobals: ['mypkg.*'], strict: true }));
    expect(allowed.findings).toEqual([]);
  });
});
