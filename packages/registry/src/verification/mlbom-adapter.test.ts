import { describe, expect, it } from 'vitest';
import { bomLicenseWalk, MAX_BOM_COMPONENT_DEPTH } from './mlbom-adapter.js';

/** A parsed BOM whose components nest `depth` levels (built as objects: deeper than any JSON text would validate). */
function nested(depth: number, deepLicense: string) {
  let component: Record<string, unknown> = { name: `l${depth}`, licenses: [{ license: { id: deepLicense } }] };
  for (let level = depth - 1; level >= 1; level--)
    component = { name: `l${level}`, licenses: [{ expression: 'MIT OR Apache-2.0' }], components: [component] };
  return { metadata: { component: { licenses: [{ license: { name: 'Custom' } }] } }, components: [component] };
}

describe('bomLicenseWalk', () => {
  it('reads every licence down to MAX_BOM_COMPONENT_DEPTH (ids, names, expressions, metadata.component)', () => {
    expect(bomLicenseWalk(nested(MAX_BOM_COMPONENT_DEPTH, 'GPL-3.0-only'))).toEqual({
      licenses: ['Custom', 'GPL-3.0-only', 'MIT OR Apache-2.0'],
      tooDeep: false,
    });
  });
  it('says tooDeep one level past the limit, and walks 100,000 levels without exhausting the stack', () => {
    expect(bomLicenseWalk(nested(MAX_BOM_COMPONENT_DEPTH + 1, 'GPL-3.0-only')).tooDeep).toBe(true);
    expect(bomLicenseWalk(nested(100_000, 'GPL-3.0-only')).tooDeep).toBe(true);
  });
});
