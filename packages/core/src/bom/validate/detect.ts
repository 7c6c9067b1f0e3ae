import { ModelsecError } from '../../errors/index.js';
import { assertJsonDepth } from './json-depth.js';
import { type BomFormat, type CycloneDxSpecVersion, isSupportedCycloneDxVersion } from './types.js';

/** Text with a leading byte-order mark and whitespace removed. */
export function stripBomPrefix(text: string): string {
  return text.replace(/^\uFEFF/, '').trimStart();
}

/** 'json' when the document starts with `{`, 'xml' when it starts with `<`, else undefined. */
export function detectBomFormat(text: string): BomFormat | undefined {
  const head = stripBomPrefix(text);
  if (head.startsWith('{')) return 'json';
  if (head.startsWith('<')) return 'xml';
  return undefined;
}

const XML_NAMESPACE_PATTERN = /xmlns(?::[A-Za-z_][\w.-]*)?\s*=\s*["']http:\/\/cyclonedx\.org\/schema\/bom\/(\d+\.\d+)["']/;

/** How far into an XML document the root element's namespace declaration is looked for. */
const XML_HEAD_CHARS = 64 * 1024;

/**
 * The spec version an XML BOM declares through its namespace (`http://cyclonedx.org/schema/bom/1.6`), or
 * undefined when the root element carries no CycloneDX namespace.
 */
export function detectXmlSpecVersion(text: string): string | undefined {
  const head = stripBomPrefix(text).slice(0, XML_HEAD_CHARS);
  // Find the first element start that is not a declaration, comment or processing instruction.
  const root = /<(?![?!])[^>]*>/.exec(head);
  if (!root) return undefined;
  return XML_NAMESPACE_PATTERN.exec(root[0])?.[1];
}

/** Parsed JSON BOM with its declared spec version. */
export interface ParsedJsonBom {
  document: Record<string, unknown>;
  declaredSpecVersion: string | undefined;
}

/** Parses JSON text as a CycloneDX document or throws BOM_NOT_RECOGNISED naming what is wrong. */
export function parseJsonBom(text: string, source: string, forcedVersion?: string): ParsedJsonBom {
  assertJsonDepth(text, source);
  let document: unknown;
  try {
    document = JSON.parse(stripBomPrefix(text));
  } catch (cause) {
    throw new ModelsecError('BOM_NOT_RECOGNISED', `${source} is not valid JSON: ${(cause as Error).message}`, {
      details: { file: source },
      cause,
    });
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new ModelsecError('BOM_NOT_RECOGNISED', `${source} is JSON but not an object, so not a CycloneDX BOM`, {
      details: { file: source },
    });
  }
  const record = document as Record<string, unknown>;
  if (forcedVersion === undefined && record.bomFormat !== 'CycloneDX') {
    throw new ModelsecError(
      'BOM_NOT_RECOGNISED',
      `${source} is not a CycloneDX JSON BOM: "bomFormat" is ${JSON.stringify(record.bomFormat) ?? 'missing'}, expected "CycloneDX"`,
      { details: { file: source, field: 'bomFormat' } },
    );
  }
  const declared = typeof record.specVersion === 'string' ? record.specVersion : undefined;
  return { document: record, declaredSpecVersion: declared };
}

/** Picks the version to validate against: the forced one, else the declared one; both must be supported. */
export function resolveSpecVersion(
  declared: string | undefined,
  forced: string | undefined,
  source: string,
): CycloneDxSpecVersion {
  const chosen = forced ?? declared;
  if (chosen === undefined) {
    throw new ModelsecError(
      'BOM_NOT_RECOGNISED',
      `${source} does not declare its CycloneDX spec version ("specVersion" in JSON, the bom namespace in XML)`,
      { details: { file: source, field: 'specVersion' } },
    );
  }
  if (!isSupportedCycloneDxVersion(chosen)) {
    throw new ModelsecError(
      'BOM_UNSUPPORTED_SPEC',
      `${source}: CycloneDX ${chosen} is not supported for validation (supported: 1.4, 1.5, 1.6, 1.7)`,
      { details: { file: source, specVersion: chosen } },
    );
  }
  return chosen;
}
