/**
 * The one test-support module for the fixture builders of fixtures/scripts: tests (and the unit tests beside the
 * sources, through the `#test-support/*` alias of vitest.config.ts and tsconfig.tests.json) import
 * the builders from here, never from fixtures/scripts through a chain of `../`.
 */
export {
  type ScanFixtureFormat,
  type ScanFixtureSpec,
  scanFixtureSpecs,
} from '../../fixtures/scripts/generators/pickle-family.js';
export { buildFixtures, type ManifestEntry, renderManifest } from '../../fixtures/scripts/lib/build.js';
export { seededBytes, xorshift32 } from '../../fixtures/scripts/lib/fixture.js';
export { ggufBytes, safetensorsBytes } from '../../fixtures/scripts/lib/format-builders.js';
export { writeOsvExport } from '../../fixtures/scripts/lib/osv-export.js';
export { PickleBuilder, plainDataPickle } from '../../fixtures/scripts/lib/pickle-builder.js';
export { writeZip, type ZipMemberSpec, type ZipWriterOptions } from '../../fixtures/scripts/lib/zip-writer.js';
export { realName, storedName } from '../../fixtures/scripts/realistic/stored-names.js';
