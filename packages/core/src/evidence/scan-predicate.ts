/**
 * The scan attestation predicate (schemas/scan-attestation.schema.json): what `scan MODEL --attest` signs about the
 * signed file set, and the reading of it a verifier gates on. Paths are signed resource names, so the predicate can be
 * compared file by file with the verified signature.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv';
import { ModelsecError } from '../errors/index.js';
import { type ModelResource, parseShardName, type SerializationMethod } from '../hashing/model-hash.js';
import type { ScanConfig } from '../scan/config.js';
import type { ScanReport } from '../scan/engine.js';
import { type GateFile, gateFileOf } from '../scan/gate.js';
import { RULES } from '../scan/rules/index.js';
import { type FileVerdict, type Severity, severityRank } from '../scan/types.js';
import { canonicalJson } from '../util/canonical-json.js';
import { MODELSEC_VERSION } from '../version.js';

const require = createRequire(import.meta.url);

/** The signed file set as a verified signature gives it (a `SignedModel` or `ModelDigest` fits). */
export interface SignedSet {
  method: SerializationMethod;
  resources: readonly ModelResource[];
}

/** The predicate type of a modelsec scan attestation. */
export const SCAN_PREDICATE_TYPE = 'https://modelsec.dev/attestations/scan/v1';
/** The predicate type of an ML-BOM attestation: the CycloneDX document itself is the predicate. */
export const MLBOM_PREDICATE_TYPE = 'https://cyclonedx.org/bom';

export const SCAN_ATTESTATION_SCHEMA_PATH = fileURLToPath(
  new URL('../../../../schemas/scan-attestation.schema.json', import.meta.url),
);

export interface ScanPredicateFile {
  path: string;
  sha256: string | null;
  verdict: FileVerdict;
  maxSeverity: Severity | null;
  findings: { ruleId: string; severity: Severity; incomplete: boolean; message: string }[];
}

export interface ScanPredicate {
  scanner: { name: 'modelsec'; version: string };
  ruleSet: { digest: { sha256: string }; rules: number };
  config: { digest: { sha256: string } | null; strict: boolean };
  files: ScanPredicateFile[];
  summary: { files: number; maxSeverity: Severity | null; verdicts: Record<FileVerdict, number> };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** sha256 of the rule catalogue as it decides: every rule's id, title, severity and outcome, by id. */
export function ruleSetDigest(): string {
  return sha256(
    canonicalJson(
      [...RULES]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((r) => ({ id: r.id, title: r.title, severity: r.severity, outcome: r.outcome })),
    ),
  );
}

/** The signed file paths of a model (a shards signature names ranges; its files are their paths). */
export function signedPaths(model: SignedSet): string[] {
  const paths = model.resources.map((r) => (model.method === 'shards' ? (parseShardName(r.name)?.path ?? r.name) : r.name));
  return [...new Set(paths)];
}

/**
 * The predicate for a scan of the model directory `root` whose signed file set is `model`: one entry per signed
 * file, in the signed order. A signed file the report does not cover is `incomplete` (it was not inspected); files
 * the report holds that the signature does not cover (the signature itself, attestations, ignored paths) are left out.
 */
export function buildScanPredicate(
  report: ScanReport,
  root: string,
  model: SignedSet,
  /** `cwd`: what the report's relative paths are relative to (default: the process's working directory). */
  options: { config?: ScanConfig; strict?: boolean; cwd?: string } = {},
): ScanPredicate {
  const cwd = options.cwd ?? process.cwd();
  const byName = new Map<string, ScanReport['files'][number]>();
  for (const f of report.files) {
    if (f.symlink) continue; // a link's report repeats its target's; the signature refuses links unless allowed
    const rel = relative(resolve(cwd, root), resolve(cwd, f.path)).split(sep).join('/');
    byName.set(rel === '' ? '.' : rel, f);
  }
  const files: ScanPredicateFile[] = signedPaths(model).map((path) => {
    const f = byName.get(path);
    if (!f)
      return {
        path,
        sha256: null,
        verdict: 'incomplete',
        maxSeverity: null,
        findings: [],
      };
    const gate = gateFileOf(f);
    return {
      path,
      sha256: f.sha256,
      verdict: gate.verdict,
      maxSeverity: gate.maxSeverity,
      findings: f.findings
        .filter((x) => !x.suppressed)
        .map((x) => ({ ruleId: x.ruleId, severity: x.severity, incomplete: x.incomplete === true, message: x.message })),
    };
  });
  const verdicts: Record<FileVerdict, number> = { clean: 0, findings: 0, incomplete: 0 };
  let maxSeverity: Severity | null = null;
  for (const f of files) {
    verdicts[f.verdict] += 1;
    if (f.maxSeverity && (maxSeverity === null || severityRank(f.maxSeverity) > severityRank(maxSeverity)))
      maxSeverity = f.maxSeverity;
  }
  const config = options.config;
  const configUsed = config && (config.allowedGlobals.length > 0 || config.suppressions.length > 0);
  return {
    scanner: { name: 'modelsec', version: MODELSEC_VERSION },
    ruleSet: { digest: { sha256: ruleSetDigest() }, rules: RULES.length },
    config: {
      digest: configUsed
        ? { sha256: sha256(canonicalJson({ allowedGlobals: config.allowedGlobals, suppressions: config.suppressions })) }
        : null,
      strict: options.strict === true,
    },
    files,
    summary: { files: files.length, maxSeverity, verdicts },
  };
}

let compiled: ValidateFunction | undefined;

/** Validates a scan predicate against its schema (ATTESTATION_PREDICATE_INVALID naming the first problems). */
export function validateScanPredicate(predicate: unknown): ScanPredicate {
  if (!compiled) {
    const Ajv = require('ajv') as new (options: Options) => AjvClass;
    const { $schema: _s, ...schema } = JSON.parse(readFileSync(SCAN_ATTESTATION_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
    compiled = new Ajv({ strict: false, allErrors: true }).compile(schema);
  }
  if (!compiled(predicate)) {
    const problems = (compiled.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    throw new ModelsecError(
      'ATTESTATION_PREDICATE_INVALID',
      `the scan predicate does not validate against ${SCAN_PREDICATE_TYPE}'s schema: ${problems.join('; ')}`,
      { details: { problems } },
    );
  }
  return predicate as ScanPredicate;
}

/** The predicate's files as the scan gate reads them (every gate decision goes through evaluateGate). */
export function scanPredicateGateFiles(predicate: ScanPredicate): GateFile[] {
  return predicate.files.map((f) => ({
    path: f.path,
    verdict: f.verdict,
    maxSeverity: f.maxSeverity,
    rules: [...new Set(f.findings.map((x) => x.ruleId))].sort(),
  }));
}

/**
 * Where the predicate and the verified signature disagree: a signed file it does not list (or lists twice), a file
 * it lists that is not signed, a files-method digest that is not the signed one. Empty when it covers exactly the set.
 */
export function scanPredicateCoverage(predicate: ScanPredicate, model: SignedSet): { path: string; reason: string }[] {
  const problems: { path: string; reason: string }[] = [];
  const signed = new Set(signedPaths(model));
  const digest = new Map(model.method === 'files' ? model.resources.map((r) => [r.name, r.digest]) : []);
  const seen = new Set<string>();
  for (const f of predicate.files) {
    if (seen.has(f.path)) problems.push({ path: f.path, reason: 'is listed twice' });
    seen.add(f.path);
    if (!signed.has(f.path)) problems.push({ path: f.path, reason: 'is not a signed file' });
    else if (f.sha256 !== null && digest.has(f.path) && digest.get(f.path) !== f.sha256)
      problems.push({ path: f.path, reason: 'was scanned with other bytes than the signed ones' });
  }
  for (const p of signed) if (!seen.has(p)) problems.push({ path: p, reason: 'is signed but has no scan verdict' });
  return problems;
}
