import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, Options, ValidateFunction } from 'ajv';
import { jsonSchemaFile, referencedJsonSchemaFiles } from './schema-files.js';
import type { BomValidationError, CycloneDxSpecVersion } from './types.js';

const require = createRequire(import.meta.url);

type AjvConstructor = new (options: Options) => AjvClass;
type AjvPlugin = (ajv: AjvClass, options?: unknown) => AjvClass;

const cache = new Map<CycloneDxSpecVersion, ValidateFunction>();

function loadJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/**
 * The compiled validator for one CycloneDX version, built once per process. Draft-07 ajv, `strict: false`
 * because the schemas use the non-standard `meta:enum` keyword; remote schema loading is disabled so a `$ref`
 * that does not resolve locally fails loudly instead of reaching the network.
 */
export function cycloneDxJsonValidator(version: CycloneDxSpecVersion): ValidateFunction {
  const hit = cache.get(version);
  if (hit) return hit;
  const Ajv = require('ajv') as AjvConstructor;
  const addFormats = require('ajv-formats') as AjvPlugin;
  const addDraft2019Formats = require('ajv-formats-draft2019') as AjvPlugin;
  const schemas: Record<string, Record<string, unknown>> = {};
  for (const [uri, file] of Object.entries(referencedJsonSchemaFiles())) schemas[uri] = loadJson(file);
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    useDefaults: false,
    addUsedSchema: false,
    schemas,
    loadSchema: (uri: string) => Promise.reject(new Error(`remote schemas are disabled: ${uri}`)),
  });
  addFormats(ajv);
  addDraft2019Formats(ajv, { formats: ['idn-email'] });
  ajv.addFormat('iri-reference', true);
  const validate = ajv.compile(loadJson(jsonSchemaFile(version)));
  cache.set(version, validate);
  return validate;
}

/** A readable message for one ajv error, with the offending property or allowed values when ajv gives them. */
export function describeAjvError(error: ErrorObject, document?: unknown): BomValidationError {
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? error.keyword;
  if (typeof params.additionalProperty === 'string') message += `: '${params.additionalProperty}'`;
  else if (Array.isArray(params.allowedValues) && params.allowedValues.length <= 12)
    message += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.keyword === 'enum' || error.keyword === 'const' || error.keyword === 'format') {
    const value = valueAt(document, error.instancePath);
    if (typeof value === 'string' || typeof value === 'number') message += ` (got ${JSON.stringify(value).slice(0, 80)})`;
  }
  return { path: error.instancePath === '' ? '/' : error.instancePath, message };
}

/** The value a JSON pointer designates in a document, or undefined. */
function valueAt(document: unknown, pointer: string): unknown {
  let node: unknown = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Validates a parsed JSON document; returns the (deduplicated) errors, empty when valid. */
export function validateJsonDocument(document: unknown, version: CycloneDxSpecVersion): BomValidationError[] {
  const validate = cycloneDxJsonValidator(version);
  if (validate(document)) return [];
  const seen = new Set<string>();
  const errors: BomValidationError[] = [];
  for (const raw of validate.errors ?? []) {
    const error = describeAjvError(raw, document);
    const key = `${error.path}\u0000${error.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(error);
  }
  return errors;
}
