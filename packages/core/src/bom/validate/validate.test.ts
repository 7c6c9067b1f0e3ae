import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusPath, describeWithCorpus } from '#test-support/corpora';
import { ModelsecError } from '../../errors/index.js';
import { detectBomFormat, detectXmlSpecVersion } from './detect.js';
import { jsonNestingDepth, MAX_BOM_NESTING_DEPTH, valueNestingDepth } from './json-depth.js';
import { assertValidCycloneDx, validateCycloneDx } from './validate.js';

const EXAMPLES = corpusPath('cyclonedx/examples');

function minimalJson(version: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: version,
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    version: 1,
    components: [{ type: 'machine-learning-model', name: 'm', 'bom-ref': 'm' }],
    ...extra,
  });
}

function minimalXml(version: string, body = '<components><component type="library"><name>x</name></component></components>') {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/${version}" version="1">${body}</bom>\n`;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ModelsecError ? error.code : 'not-a-ModelsecError';
  }
  return undefined;
}

describe('format and version detection', () => {
  it('tells JSON from XML by the first non-blank character, ignoring a byte-order mark', () => {
    expect(detectBomFormat('\uFEFF  {"a":1}')).toBe('json');
    expect(detectBomFormat('\n<?xml version="1.0"?><bom/>')).toBe('xml');
    expect(detectBomFormat('hello')).toBeUndefined();
  });

  it('reads the XML version from the root namespace, prefixed or not', () => {
    expect(detectXmlSpecVersion(minimalXml('1.5'))).toBe('1.5');
    expect(detectXmlSpecVersion('<!-- c --><cdx:bom xmlns:cdx="http://cyclonedx.org/schema/bom/1.7"/>')).toBe('1.7');
    expect(detectXmlSpecVersion('<bom xmlns="http://example.com/other"/>')).toBeUndefined();
  });
});

describe('JSON validation', () => {
  it.each(['1.4', '1.5', '1.6'])('accepts a minimal valid %s BOM', (version) => {
    const doc = version === '1.4' ? minimalJson(version, { components: [{ type: 'library', name: 'x' }] }) : minimalJson(version);
    const result = validateCycloneDx(doc);
    expect(result).toMatchObject({ valid: true, specVersion: version, format: 'json', method: 'json-schema' });
    expect(result.errors).toEqual([]);
  });

  it('accepts 1.7 and rejects a 1.5-only enum value under 1.4 (versions are really distinct schemas)', () => {
    expect(validateCycloneDx(minimalJson('1.7')).valid).toBe(true);
    // machine-learning-model was added in 1.5.
    const result = validateCycloneDx(minimalJson('1.4'));
    expect(result.valid).toBe(false);
    expect(result.errors.map((e) => e.path)).toContain('/components/0/type');
  });

  it('lists each schema error with a JSON pointer and the offending property', () => {
    const bom = JSON.parse(minimalJson('1.6'));
    bom.components[0].modelCard = { considerations: { ethicalConsiderations: [{ name: 'bias', description: 'x' }] } };
    bom.components[0].licenses = [{ license: { id: 'apache-2.0' } }];
    const result = validateCycloneDx(JSON.stringify(bom));
    expect(result.valid).toBe(false);
    expect(result.errors).toContainEqual({
      path: '/components/0/modelCard/considerations/ethicalConsiderations/0',
      message: "must NOT have additional properties: 'description'",
    });
    expect(result.errors.some((e) => e.path.startsWith('/components/0/licenses/0'))).toBe(true);
  });

  it('validates against a forced version instead of the declared one', () => {
    const result = validateCycloneDx(minimalJson('1.6'), { specVersion: '1.4' });
    expect(result.specVersion).toBe('1.4');
    expect(result.valid).toBe(false);
  });

  it('throws BOM_NOT_RECOGNISED for non-BOM input and BOM_UNSUPPORTED_SPEC for old versions', () => {
    expect(codeOf(() => validateCycloneDx('not a bom'))).toBe('BOM_NOT_RECOGNISED');
    expect(codeOf(() => validateCycloneDx('{"bomFormat": "CycloneDX", '))).toBe('BOM_NOT_RECOGNISED');
    expect(codeOf(() => validateCycloneDx('[1,2]'))).toBe('BOM_NOT_RECOGNISED');
    expect(codeOf(() => validateCycloneDx('{"spdxVersion":"SPDX-2.3"}'))).toBe('BOM_NOT_RECOGNISED');
    expect(codeOf(() => validateCycloneDx('{"bomFormat":"CycloneDX"}'))).toBe('BOM_NOT_RECOGNISED');
    expect(codeOf(() => validateCycloneDx(minimalJson('1.2')))).toBe('BOM_UNSUPPORTED_SPEC');
    expect(codeOf(() => validateCycloneDx(minimalJson('9.9')))).toBe('BOM_UNSUPPORTED_SPEC');
  });

  it('assertValidCycloneDx throws BOM_INVALID carrying the errors', () => {
    const bom = JSON.parse(minimalJson('1.6'));
    bom.components[0].type = 'model';
    try {
      assertValidCycloneDx(JSON.stringify(bom), { source: 'out.json' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ModelsecError);
      const e = error as ModelsecError;
      expect(e.code).toBe('BOM_INVALID');
      expect(e.details.file).toBe('out.json');
      expect(e.details.errors).toEqual([{ path: '/components/0/type', message: expect.any(String) }]);
    }
    expect(assertValidCycloneDx(minimalJson('1.6')).valid).toBe(true);
  });
});

describe('nesting limit (stack exhaustion)', () => {
  it('measures depth without being fooled by brackets inside strings', () => {
    expect(jsonNestingDepth('{"a":[1,{"b":"[[[{{{\\"]]"}]}')).toBe(3);
    expect(valueNestingDepth({ a: [1, { b: '[[[' }] })).toBe(3);
  });

  it('refuses a BOM nested past MAX_BOM_NESTING_DEPTH with LIMIT_EXCEEDED instead of overflowing the stack', () => {
    let component = '{"type":"library","name":"x"}';
    for (let i = 0; i < 5000; i++) component = `{"type":"library","name":"x","components":[${component}]}`;
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${component}]}`;
    expect(jsonNestingDepth(text)).toBeGreaterThan(MAX_BOM_NESTING_DEPTH);
    expect(codeOf(() => validateCycloneDx(text))).toBe('LIMIT_EXCEEDED');
  });

  it('still validates realistic nesting (40 levels of components)', () => {
    let component = '{"type":"library","name":"x"}';
    for (let i = 0; i < 40; i++) component = `{"type":"library","name":"x","components":[${component}]}`;
    expect(validateCycloneDx(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${component}]}`).valid).toBe(true);
  });
});

describe('XML validation (XSD through libxml2)', () => {
  it.each(['1.4', '1.5', '1.6', '1.7'])('accepts a minimal valid %s BOM', (version) => {
    expect(validateCycloneDx(minimalXml(version))).toMatchObject({
      valid: true,
      specVersion: version,
      format: 'xml',
      method: 'xsd',
    });
  });

  it('reports an unexpected element with its line', () => {
    const result = validateCycloneDx(
      minimalXml('1.6', '<components>\n<component type="library"><bogus/><name>x</name></component></components>'),
    );
    expect(result.valid).toBe(false);
    expect(result.errors[0]?.path).toBe('line 3');
    expect(result.errors[0]?.message).toContain('bogus');
  });

  it('rejects malformed XML as not a BOM and never expands external entities (XXE)', () => {
    expect(codeOf(() => validateCycloneDx('<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><unclosed>'))).toBe(
      'BOM_NOT_RECOGNISED',
    );
    // A file of our own with a canary (not /etc/hostname, which may be absent: the check would then prove nothing).
    const dir = mkdtempSync(join(tmpdir(), 'modelsec-xxe-'));
    const canary = 'modelsec-xxe-canary-7f3a91';
    writeFileSync(join(dir, 'secret.txt'), canary);
    try {
      const xxe = `<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY x SYSTEM "file://${join(dir, 'secret.txt')}">]>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components><component type="library"><name>&x;</name></component></components></bom>`;
      const result = validateCycloneDx(xxe);
      // Whatever libxml2 says about the entity, the file's content must not appear in the result.
      expect(JSON.stringify(result)).not.toContain(canary);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses XML without the CycloneDX namespace', () => {
    expect(codeOf(() => validateCycloneDx('<bom version="1"/>'))).toBe('BOM_NOT_RECOGNISED');
  });
});

describeWithCorpus('official CycloneDX examples (corpus)', EXAMPLES !== undefined, () => {
  const files = readdirSync(EXAMPLES!).sort();
  it('has the examples', () => expect(files.length).toBeGreaterThan(10));
  it.each(files)('%s validates', (file) => {
    const result = validateCycloneDx(readFileSync(join(EXAMPLES!, file), 'utf8'), { source: file });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.specVersion).toBe(/-(1\.\d)\./.exec(file)?.[1]);
  });
});
