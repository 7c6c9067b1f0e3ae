export {
  detectBomFormat,
  detectXmlSpecVersion,
} from './detect.js';
export {
  assertJsonDepth,
  assertValueDepth,
  jsonNestingDepth,
  MAX_BOM_NESTING_DEPTH,
  valueNestingDepth,
} from './json-depth.js';
export { MAX_BOM_BYTES, MAX_REPORTED_VALIDATION_ERRORS } from './limits.js';
export { readBomFile } from './read-bom-file.js';
export {
  type BomFormat,
  type BomValidationError,
  type BomValidationMethod,
  type BomValidationResult,
  type CycloneDxSpecVersion,
  isSupportedCycloneDxVersion,
  SUPPORTED_CYCLONEDX_VERSIONS,
  type ValidateOptions,
} from './types.js';
export { assertValidCycloneDx, validateCycloneDx } from './validate.js';
