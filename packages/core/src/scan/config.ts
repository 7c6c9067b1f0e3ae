/**
 * Scan configuration: `--config FILE`, else `.modelsec.json` found upward from the scanned path. Validated against
 * schemas/scan-config.schema.json. Holds extra allowlisted globals and suppressions (ruleId + path glob and/or
 * sha256 + a required reason).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv';
import picomatch from 'picomatch';
import { ModelsecError } from '../errors/index.js';
import type { FileReport, Finding } from './types.js';

const require = createRequire(import.meta.url);

export const SCAN_CONFIG_SCHEMA_PATH = fileURLToPath(new URL('../../../../schemas/scan-config.schema.json', import.meta.url));
/** Largest config file read (a config is a few KB). */
export const MAX_SCAN_CONFIG_BYTES = 1024 * 1024;
export const SCAN_CONFIG_FILE_NAME = '.modelsec.json';

export interface Suppression {
  ruleId: string;
  path?: string;
  sha256?: string;
  reason: string;
}

export interface ScanConfig {
  allowedGlobals: string[];
  suppressions: Suppression[];
  /** Where it was read from (undefined: defaults). */
  source?: string;
}

export const EMPTY_SCAN_CONFIG: ScanConfig = { allowedGlobals: [], suppressions: [] };

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const Ajv = require('ajv') as new (options: Options) => AjvClass;
  compiled = new Ajv({ strict: false, allErrors: true }).compile(
    JSON.parse(readFileSync(SCAN_CONFIG_SCHEMA_PATH, 'utf8')) as object,
  );
  return compiled;
}

/** Parses and validates a config document; INVALID_CONFIG names the failing field. */
export function parseScanConfig(text: string, source: string): ScanConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ModelsecError('INVALID_JSON', `${source}: not JSON`, { cause, details: { path: source } });
  }
  const validate = validator();
  if (!validate(json)) {
    const first = validate.errors?.[0];
    throw new ModelsecError('INVALID_CONFIG', `${source}: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`, {
      details: { path: source, field: first?.instancePath ?? '/' },
    });
  }
  const scan = ((json as Record<string, unknown>).scan ?? {}) as Partial<ScanConfig>;
  return {
    allowedGlobals: [...(scan.allowedGlobals ?? [])].sort(),
    suppressions: [...(scan.suppressions ?? [])],
    source,
  };
}

export function loadScanConfigFile(path: string): ScanConfig {
  if (!existsSync(path)) throw new ModelsecError('FILE_NOT_FOUND', `config file ${path} does not exist`, { details: { path } });
  if (statSync(path).size > MAX_SCAN_CONFIG_BYTES) {
    throw new ModelsecError('LIMIT_EXCEEDED', `config file ${path} exceeds MAX_SCAN_CONFIG_BYTES`, { details: { path } });
  }
  return parseScanConfig(readFileSync(path, 'utf8'), path);
}

/** `.modelsec.json` in the scanned path's directory or the nearest ancestor; defaults when none. */
export function findScanConfig(scannedPath: string): ScanConfig {
  let dir = resolve(scannedPath);
  if (existsSync(dir) && !statSync(dir).isDirectory()) dir = dirname(dir);
  for (;;) {
    const candidate = join(dir, SCAN_CONFIG_FILE_NAME);
    if (existsSync(candidate)) return loadScanConfigFile(candidate);
    const parent = dirname(dir);
    if (parent === dir) return EMPTY_SCAN_CONFIG;
    dir = parent;
  }
}

/** Marks findings a suppression matches (they stay listed, flagged suppressed with the reason). */
export function applySuppressions(file: FileReport, suppressions: readonly Suppression[]): void {
  if (suppressions.length === 0) return;
  const matchers = suppressions.map((s) => ({ s, glob: s.path ? picomatch(s.path, { dot: true }) : undefined }));
  for (const finding of file.findings as Finding[]) {
    for (const { s, glob } of matchers) {
      if (s.ruleId !== finding.ruleId) continue;
      if (glob && !glob(file.path)) continue;
      if (s.sha256 && s.sha256 !== file.sha256) continue;
      finding.suppressed = { reason: s.reason };
      break;
    }
  }
}
