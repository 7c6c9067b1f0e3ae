import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ErrorObject, Options, ValidateFunction } from 'ajv';
import { ModelsecError } from '../../errors/index.js';
import { isRecord } from '../deps/shape.js';
import { assertValueDepth } from '../validate/json-depth.js';

const require = createRequire(import.meta.url);

/**
 * The SPDX 3.0.1 JSON schema vendored at the repository root (schemas/vendor/spdx-3.0.1/, see its README for the
 * source and licence). Resolved from this module: src/bom/spdx and dist/bom/spdx are both five levels below it.
 */
export const SPDX3_SCHEMA_PATH = fileURLToPath(
  new URL('../../../../../schemas/vendor/spdx-3.0.1/spdx-json-schema.json', import.meta.url),
);

/** Most errors reported from one SPDX validation. */
export const MAX_SPDX_ERRORS = 200;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  if (!existsSync(SPDX3_SCHEMA_PATH)) {
    throw new ModelsecError('BOM_VALIDATOR_UNAVAILABLE', `the SPDX 3.0.1 JSON schema is missing at ${SPDX3_SCHEMA_PATH}`, {
      details: { path: SPDX3_SCHEMA_PATH },
    });
  }
  // The SPDX schema is JSON Schema draft 2020-12 (unevaluatedProperties), hence ajv's 2020 build.
  const Ajv2020 = require('ajv/dist/2020') as new (options: Options) => AjvClass;
  const addFormats = require('ajv-formats') as (ajv: AjvClass) => AjvClass;
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    loadSchema: () => Promise.reject(new Error('remote schemas are disabled')),
  });
  addFormats(ajv);
  compiled = ajv.compile(JSON.parse(readFileSync(SPDX3_SCHEMA_PATH, 'utf8')) as object);
  return compiled;
}

export interface Spdx3ValidationResult {
  valid: boolean;
  errors: { path: string; message: string }[];
}

function describe(error: ErrorObject): { path: string; message: string } {
  return { path: error.instancePath || '/', message: error.message ?? error.keyword };
}

/** Every string a graph node uses to point at another element (from, to, rootElement, element, agents). */
function references(node: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of ['from', 'suppliedBy']) if (typeof node[key] === 'string') out.push(node[key] as string);
  for (const key of ['to', 'rootElement', 'element', 'originatedBy', 'createdBy', 'createdUsing']) {
    const value = node[key];
    if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') out.push(v);
  }
  return out;
}

/**
 * Validates an SPDX 3.0.1 JSON-LD document against the official JSON schema (structure), then checks what the
 * schema cannot: every element id a node refers to is defined in the graph, ids are unique, and the creationInfo
 * blank node each element names exists. (OWL/SHACL semantic validation is not done.)
 */
export function validateSpdx3(document: unknown): Spdx3ValidationResult {
  assertValueDepth(document, 'SPDX document');
  const validate = validator();
  const errors: { path: string; message: string }[] = [];
  if (!validate(document)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const d = describe(e);
      const key = `${d.path}\u0000${d.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        errors.push(d);
      }
    }
  }
  if (isRecord(document) && Array.isArray(document['@graph'])) {
    const graph = document['@graph'] as unknown[];
    const ids = new Set<string>();
    const blankNodes = new Set<string>();
    graph.forEach((node, i) => {
      if (!isRecord(node)) return;
      if (typeof node.spdxId === 'string') {
        if (ids.has(node.spdxId)) errors.push({ path: `/@graph/${i}/spdxId`, message: `duplicate spdxId ${node.spdxId}` });
        ids.add(node.spdxId);
      }
      if (typeof node['@id'] === 'string') blankNodes.add(node['@id']);
    });
    graph.forEach((node, i) => {
      if (!isRecord(node)) return;
      for (const ref of references(node)) {
        if (!ids.has(ref) && !/^https:\/\/spdx\.org\//.test(ref))
          errors.push({ path: `/@graph/${i}`, message: `refers to ${ref}, which is not in the graph` });
      }
      if (typeof node.creationInfo === 'string' && !blankNodes.has(node.creationInfo))
        errors.push({ path: `/@graph/${i}/creationInfo`, message: `creationInfo ${node.creationInfo} is not in the graph` });
    });
  }
  return { valid: errors.length === 0, errors: errors.slice(0, MAX_SPDX_ERRORS) };
}

/** Whether JSON text is an SPDX 3 JSON-LD document (its `@context` names the SPDX 3 context). */
export function isSpdx3JsonLd(text: string): boolean {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (!head.startsWith('{') || !head.slice(0, 4096).includes('spdx.org/rdf/3.')) return false;
  try {
    const context = (JSON.parse(head) as Record<string, unknown>)['@context'];
    const contexts = Array.isArray(context) ? context : [context];
    return contexts.some((c) => typeof c === 'string' && /^https:\/\/spdx\.org\/rdf\/3\.[0-9.]+\/spdx-context\.jsonld$/.test(c));
  } catch {
    return false;
  }
}
