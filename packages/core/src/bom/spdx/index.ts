export { cycloneDxToSpdx3, licenseExpression, SPDX_CONTEXT, SPDX_VERSION, type Spdx3ConvertOptions } from './convert.js';
export { isSpdx3JsonLd, MAX_SPDX_ERRORS, SPDX3_SCHEMA_PATH, type Spdx3ValidationResult, validateSpdx3 } from './validate.js';
