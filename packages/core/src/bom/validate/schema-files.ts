import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CycloneDxSpecVersion } from './types.js';

const require = createRequire(import.meta.url);

/**
 * The folder of CycloneDX schemas shipped inside @cyclonedx/cyclonedx-library (`res/schema`): the official
 * schemas, pinned by the library's version, so validation never needs the network.
 */
export function cycloneDxSchemaDir(): string {
  return join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
}

export function jsonSchemaFile(version: CycloneDxSpecVersion): string {
  return join(cycloneDxSchemaDir(), `bom-${version}.SNAPSHOT.schema.json`);
}

export function xsdFile(version: CycloneDxSpecVersion): string {
  return join(cycloneDxSchemaDir(), `bom-${version}.SNAPSHOT.xsd`);
}

/**
 * Schemas the BOM schemas reference by relative `$ref`, keyed by the absolute URI each `$ref` resolves to
 * (relative to the BOM schema's `$id`, http://cyclonedx.org/schema/...).
 */
export function referencedJsonSchemaFiles(): Record<string, string> {
  const dir = cycloneDxSchemaDir();
  return {
    'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': join(dir, 'spdx.SNAPSHOT.schema.json'),
    'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': join(dir, 'jsf-0.82.SNAPSHOT.schema.json'),
    'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': join(dir, 'cryptography-defs.SNAPSHOT.schema.json'),
  };
}
