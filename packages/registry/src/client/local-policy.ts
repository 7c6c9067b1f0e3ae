/**
 * The local policy of `check` / `pull` (`--policy FILE`): the namespace policy document (schemas/policy.schema.json)
 * plus what only a client can say — which models it expects and how it trusts the log:
 *
 *   { "models": ["acme/bert@^1", "acme/*"],                      NS/NAME[@RANGE], or NS/* for any model of NS
 *     "log": { "key": "<verifier key>", "witnesses": ["<witness key>", ...], "witnessQuorum": 2,
 *              "maxCheckpointAgeSeconds": 86400,               the witness quorum must have cosigned this recently
 *              "required": true },                             check --offline: a verified model.tlog.json is required
 *     "signers": [...], "scan": {...}, "mlbom": {...}, "licenses": {...}, "attestations": {...} }
 *
 * Namespace policies read from the log are validated against the namespace schema (no `models`, no `log`).
 */
import { ModelsecError } from '@modelsec/core/errors';
import { Ajv, type ValidateFunction } from 'ajv';
import semver from 'semver';
import { type Policy, policySchema } from '../policy/policy.js';
import type { Expectation } from './evidence.js';

export interface LocalPolicy extends Policy {
  models?: string[];
  log?: { key?: string; witnesses?: string[]; witnessQuorum?: number; maxCheckpointAgeSeconds?: number; required?: boolean };
}

/** Most expected models a local policy lists. */
export const MAX_POLICY_MODELS = 256;
/** Most witnesses a local policy names. */
export const MAX_POLICY_WITNESSES = 32;
/** Largest checkpoint age bound accepted (ten years, in seconds): larger is a typo, not a bound. */
export const MAX_CHECKPOINT_AGE_SECONDS = 10 * 366 * 24 * 60 * 60;

let namespaceValidator: ValidateFunction | undefined;
let localValidator: ValidateFunction | undefined;

function validators(): { namespace: ValidateFunction; local: ValidateFunction } {
  if (!namespaceValidator || !localValidator) {
    const {
      $schema: _s,
      $id: _i,
      ...base
    } = policySchema() as Record<string, unknown> & {
      properties: Record<string, unknown>;
    };
    const ajv = new Ajv({ allErrors: true, strict: false });
    namespaceValidator = ajv.compile(base);
    localValidator = ajv.compile({
      ...base,
      title: 'modelsec local policy (check / pull)',
      properties: {
        ...base.properties,
        models: {
          type: 'array',
          maxItems: MAX_POLICY_MODELS,
          items: { type: 'string', minLength: 3, maxLength: 512 },
        },
        log: {
          type: 'object',
          additionalProperties: false,
          properties: {
            key: { type: 'string', minLength: 1, maxLength: 1024 },
            witnesses: {
              type: 'array',
              maxItems: MAX_POLICY_WITNESSES,
              items: { type: 'string', minLength: 1, maxLength: 1024 },
            },
            witnessQuorum: { type: 'integer', minimum: 0, maximum: MAX_POLICY_WITNESSES },
            // 0: no bound. Online default with witnesses: DEFAULT_MAX_CHECKPOINT_AGE_SECONDS (log-mirror.ts).
            maxCheckpointAgeSeconds: { type: 'integer', minimum: 0, maximum: MAX_CHECKPOINT_AGE_SECONDS },
            // check --offline: without a verified log proof (model.tlog.json under log.key) the gate fails.
            required: { type: 'boolean' },
          },
        },
      },
    });
  }
  return { namespace: namespaceValidator, local: localValidator };
}

function errorsOf(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
    .join('; ');
}

/** Validates a namespace policy document (from the log): undefined when valid, else the reasons. */
export function namespacePolicyProblems(doc: unknown): string | undefined {
  const v = validators().namespace;
  return v(doc) ? undefined : errorsOf(v);
}

/** Parses and validates a local policy file's text (INVALID_CONFIG naming the file otherwise). */
export function parseLocalPolicy(text: string, file: string): LocalPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new ModelsecError('INVALID_JSON', `${file}: the local policy is not JSON`, { cause, details: { file } });
  }
  const v = validators().local;
  if (!v(doc))
    throw new ModelsecError('INVALID_CONFIG', `${file}: not a valid local policy: ${errorsOf(v)}`, { details: { file } });
  const policy = doc as LocalPolicy;
  for (const m of policy.models ?? []) parseExpectation(m, `${file} models`);
  return policy;
}

const NAME = '[a-z0-9][a-z0-9._-]*';

/** `NS/NAME[@RANGE]` or `NS/*`: an expectation (model '*' = any model of the namespace). */
export function parseExpectation(text: string, where = '--name'): Expectation {
  const m = new RegExp(`^(${NAME})/(${NAME}|\\*)(?:@(.+))?$`).exec(text);
  if (!m)
    throw new ModelsecError('USAGE', `${where}: '${text}' is not NS/NAME[@VERSION|RANGE] or NS/* (lowercase names)`, {
      details: { value: text },
    });
  const range = m[3];
  if (range !== undefined && semver.validRange(range) === null)
    throw new ModelsecError('REGISTRY_VERSION_INVALID', `${where}: '${range}' is neither a version nor a semver range`);
  return { namespace: m[1] as string, model: m[2] as string, ...(range !== undefined ? { range } : {}) };
}

/** Whether `version` satisfies an expectation's range (an exact version must be equal). */
export function versionMatches(version: string, range: string | undefined): boolean {
  if (range === undefined) return semver.valid(version) !== null;
  if (semver.valid(range) === range) return version === range;
  return semver.valid(version) !== null && semver.satisfies(version, range);
}
