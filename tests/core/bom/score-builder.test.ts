import { join } from 'node:path';
import { cycloneDxToSpdx3, fixedClock, generateModelBom, scoreCycloneDx, validateSpdx3 } from '@modelsec/core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

/** The fully-described model fixture (card, config, sharded safetensors, tokenizer, requirements, lockfile). */
const FULL = join(REPO_ROOT, 'fixtures', 'models', 'hf-tiny-llama');
const clock = fixedClock('2024-06-01T00:00:00Z');

describe("scoring modelsec's own ML-BOM of the fully-described fixture", () => {
  it.each(['1.6', '1.7'] as const)('CycloneDX %s scores at least 85 (issue #4 acceptance) and validates', async (spec) => {
    const { text } = await generateModelBom(FULL, { spec, clock });
    const result = scoreCycloneDx(text);
    expect(result.valid).toBe(true);
    expect(result.validationErrors).toEqual([]);
    expect(result.score, `missing: ${result.missing.map((m) => `${m.id}(${m.weight})`).join(', ')}`).toBeGreaterThanOrEqual(85);
    expect(result.profile).toBe('advanced');
    // What a local directory without a git clone or Hub origin cannot know stays missing, honestly.
    expect(result.missing.every((m) => m.status === 'absent')).toBe(true);
  });

  it('converts to SPDX 3.0.1 with training and evaluation datasets told apart', async () => {
    const { text } = await generateModelBom(FULL, { clock });
    const doc = cycloneDxToSpdx3(text, { clock });
    expect(validateSpdx3(doc).errors).toEqual([]);
    const graph = doc['@graph'] as Record<string, unknown>[];
    const nameOf = (id: unknown) => graph.find((n) => n.spdxId === id)?.name;
    const rel = (type: string) => graph.filter((n) => n.relationshipType === type).flatMap((r) => (r.to as string[]).map(nameOf));
    expect(rel('trainedOn')).toEqual(['tiny-org/tiny-corpus']);
    expect(rel('testedOn')).toEqual(['tiny-org/tiny-eval']);
    expect(graph.filter((n) => n.type === 'software_File').length).toBeGreaterThanOrEqual(5);
  });
});
