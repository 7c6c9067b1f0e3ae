import { ModelsecError } from '../../errors/index.js';
import { detectBomFormat, detectXmlSpecVersion, parseJsonBom, resolveSpecVersion } from './detect.js';
import { validateJsonDocument } from './json-validator.js';
import { MAX_BOM_BYTES, MAX_REPORTED_VALIDATION_ERRORS } from './limits.js';
import type { BomFormat, BomValidationError, BomValidationResult, ValidateOptions } from './types.js';
import { libxmlLoadError, loadLibxml, validateXmlWithXsd } from './xml-validator.js';

function finish(
  base: Omit<BomValidationResult, 'valid' | 'errors' | 'errorsTruncated'>,
  errors: BomValidationError[],
): BomValidationResult {
  return {
    ...base,
    valid: errors.length === 0,
    errors: errors.slice(0, MAX_REPORTED_VALIDATION_ERRORS),
    errorsTruncated: errors.length > MAX_REPORTED_VALIDATION_ERRORS,
  };
}

function resolveFormat(text: string, options: ValidateOptions, source: string): BomFormat {
  const format = options.format ?? detectBomFormat(text);
  if (format === undefined) {
    throw new ModelsecError('BOM_NOT_RECOGNISED', `${source} is neither JSON nor XML, so not a CycloneDX BOM`, {
      details: { file: source },
    });
  }
  return format;
}

/**
 * Validates a CycloneDX 1.4-1.7 BOM (JSON or XML) against the official schema, offline. The format is detected
 * from the first character, the version from `specVersion` (JSON) or the bom namespace (XML), unless forced.
 *
 * Returns `valid: false` with the schema errors for a BOM that breaks the schema. Throws BOM_NOT_RECOGNISED when
 * the text is not a CycloneDX document at all, BOM_UNSUPPORTED_SPEC for other versions, LIMIT_EXCEEDED past
 * MAX_BOM_BYTES, and BOM_VALIDATOR_UNAVAILABLE for XML when the libxml2 addon cannot be loaded (fail closed:
 * an XML BOM is never called valid without its XSD).
 */
export function validateCycloneDx(text: string, options: ValidateOptions & { source?: string } = {}): BomValidationResult {
  const source = options.source ?? 'BOM';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BOM_BYTES) {
    throw new ModelsecError('LIMIT_EXCEEDED', `${source} is ${bytes} bytes, over the ${MAX_BOM_BYTES}-byte BOM limit`, {
      details: { file: source, limit: 'MAX_BOM_BYTES', value: bytes, max: MAX_BOM_BYTES },
    });
  }
  const format = resolveFormat(text, options, source);
  if (format === 'json') {
    const { document, declaredSpecVersion } = parseJsonBom(text, source, options.specVersion);
    const specVersion = resolveSpecVersion(declaredSpecVersion, options.specVersion, source);
    return finish({ specVersion, format, method: 'json-schema' }, validateJsonDocument(document, specVersion));
  }
  const declared = detectXmlSpecVersion(text);
  if (declared === undefined && options.specVersion === undefined) {
    throw new ModelsecError(
      'BOM_NOT_RECOGNISED',
      `${source} is not a CycloneDX XML BOM: its root element has no http://cyclonedx.org/schema/bom/<version> namespace`,
      { details: { file: source, field: 'xmlns' } },
    );
  }
  const specVersion = resolveSpecVersion(declared, options.specVersion, source);
  const lib = loadLibxml();
  if (!lib) {
    throw new ModelsecError(
      'BOM_VALIDATOR_UNAVAILABLE',
      `XML BOM validation needs the libxmljs2 native addon, which is not installed or did not build (${libxmlLoadError() ?? 'unknown error'})`,
      { details: { file: source, package: 'libxmljs2' } },
    );
  }
  const outcome = validateXmlWithXsd(lib, text, specVersion);
  if (!outcome.wellFormed) {
    throw new ModelsecError('BOM_NOT_RECOGNISED', `${source} is not well-formed XML: ${outcome.errors[0]?.message}`, {
      details: { file: source, errors: outcome.errors },
    });
  }
  return finish({ specVersion, format, method: 'xsd' }, outcome.errors);
}

/** Validates and throws BOM_INVALID (errors in details) when the BOM breaks its schema; returns the result else. */
export function assertValidCycloneDx(text: string, options: ValidateOptions & { source?: string } = {}): BomValidationResult {
  const result = validateCycloneDx(text, options);
  if (!result.valid) {
    const first = result.errors[0];
    throw new ModelsecError(
      'BOM_INVALID',
      `${options.source ?? 'BOM'} does not validate against CycloneDX ${result.specVersion} (${result.format}): ` +
        `${result.errors.length}${result.errorsTruncated ? '+' : ''} error(s), first at ${first?.path}: ${first?.message}`,
      {
        details: {
          specVersion: result.specVersion,
          format: result.format,
          errors: result.errors,
          ...(options.source ? { file: options.source } : {}),
        },
      },
    );
  }
  return result;
}
