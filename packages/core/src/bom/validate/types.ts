/** CycloneDX versions modelsec validates offline (the library ships their schemas). */
export const SUPPORTED_CYCLONEDX_VERSIONS = ['1.4', '1.5', '1.6', '1.7'] as const;

export type CycloneDxSpecVersion = (typeof SUPPORTED_CYCLONEDX_VERSIONS)[number];

export type BomFormat = 'json' | 'xml';

/** One schema violation: where it is in the document and what is wrong. */
export interface BomValidationError {
  /** JSON pointer for JSON documents (e.g. `/components/0/modelCard`); `line N` for XML. */
  path: string;
  message: string;
}

/**
 * How the document was checked. `xsd` is the official XML schema through libxml2; `json-schema` is the official
 * JSON schema through ajv; `xml-parsed-json-schema` is the fallback when libxml2 is unavailable: the XML is
 * well-formedness-checked and its structure validated against the JSON schema after conversion (weaker: XSD-only
 * constraints such as element order are not checked).
 */
export type BomValidationMethod = 'json-schema' | 'xsd' | 'xml-parsed-json-schema';

export interface BomValidationResult {
  valid: boolean;
  specVersion: CycloneDxSpecVersion;
  format: BomFormat;
  method: BomValidationMethod;
  errors: BomValidationError[];
  /** True when more errors existed than MAX_REPORTED_VALIDATION_ERRORS. */
  errorsTruncated: boolean;
}

export interface ValidateOptions {
  /** Force the format instead of detecting it from the first non-blank character. */
  format?: BomFormat;
  /** Validate against this version instead of the one the document declares. */
  specVersion?: string;
}

export function isSupportedCycloneDxVersion(value: unknown): value is CycloneDxSpecVersion {
  return typeof value === 'string' && (SUPPORTED_CYCLONEDX_VERSIONS as readonly string[]).includes(value);
}
