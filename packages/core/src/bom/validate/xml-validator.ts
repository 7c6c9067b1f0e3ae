import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { xsdFile } from './schema-files.js';
import type { BomValidationError, CycloneDxSpecVersion } from './types.js';

const require = createRequire(import.meta.url);

/** The part of libxmljs2's API used here (typed locally: the package is loaded lazily). */
interface LibxmlError {
  message?: string;
  line?: number | null;
  column?: number | null;
}
interface LibxmlDocument {
  validate(schema: LibxmlDocument): boolean;
  validationErrors: LibxmlError[];
}
interface Libxml {
  parseXml(text: string, options: Record<string, unknown>): LibxmlDocument;
}

/**
 * Parser options for untrusted XML: no network, no entity substitution, no external DTD loading, so a BOM cannot
 * make the validator read local files (XXE) or fetch URLs.
 */
const SAFE_PARSE_OPTIONS = Object.freeze({ nonet: true, noent: false, dtdload: false, dtdvalid: false, huge: false });

let libxml: Libxml | undefined;
let lastLoadError: unknown;

/**
 * libxmljs2 when its native addon is installed and loads, else null. Only a success is cached: a failed load is
 * retried on the next call, and its error is kept for the message (`libxmlLoadError`).
 */
export function loadLibxml(): Libxml | null {
  if (libxml === undefined) {
    try {
      libxml = require('libxmljs2') as Libxml;
      lastLoadError = undefined;
    } catch (error) {
      lastLoadError = error;
      return null;
    }
  }
  return libxml;
}

/** Why the last load of libxmljs2 failed, if it did. */
export function libxmlLoadError(): string | undefined {
  if (lastLoadError === undefined) return undefined;
  return lastLoadError instanceof Error ? lastLoadError.message : String(lastLoadError);
}

const schemaCache = new Map<CycloneDxSpecVersion, LibxmlDocument>();

function schemaDocument(lib: Libxml, version: CycloneDxSpecVersion): LibxmlDocument {
  const hit = schemaCache.get(version);
  if (hit) return hit;
  const path = xsdFile(version);
  // baseUrl lets the XSD's <xs:import schemaLocation="spdx.SNAPSHOT.xsd"> resolve to the file beside it.
  const schema = lib.parseXml(readFileSync(path, 'utf8'), { ...SAFE_PARSE_OPTIONS, baseUrl: pathToFileURL(path).href });
  schemaCache.set(version, schema);
  return schema;
}

function describe(error: LibxmlError): BomValidationError {
  const where = typeof error.line === 'number' && error.line > 0 ? `line ${error.line}` : '/';
  return { path: where, message: (error.message ?? 'invalid').trim() };
}

/** Outcome of parsing + XSD validation: `wellFormed` false when the text is not XML at all. */
export interface XsdOutcome {
  wellFormed: boolean;
  errors: BomValidationError[];
}

/** Validates XML text against the official CycloneDX XSD with libxml2. */
export function validateXmlWithXsd(lib: Libxml, text: string, version: CycloneDxSpecVersion): XsdOutcome {
  let document: LibxmlDocument;
  try {
    document = lib.parseXml(text, SAFE_PARSE_OPTIONS);
  } catch (cause) {
    const error = cause as LibxmlError;
    return { wellFormed: false, errors: [describe(error)] };
  }
  if (document.validate(schemaDocument(lib, version))) return { wellFormed: true, errors: [] };
  return { wellFormed: true, errors: document.validationErrors.map(describe) };
}
