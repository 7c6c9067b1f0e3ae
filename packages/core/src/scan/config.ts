/**
 * Scan configuration, from the user only: `--config FILE`, else MODELSEC_CONFIG, else `.modelsec.json` from the working
 * directory upward when the working directory is not inside a scanned path (findUserScanConfig). Validated against
 * schemas/scan-config.schema.json. Holds extra allowlisted globals and suppressions (ruleId + path glob and/or
 * sha256 + a required reason).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv';
import { SCAN_CONFIG_ENV } from '../constants/values.js';
import { ModelsecError } from '../errors/index.js';
import type { FileReport, Finding } from './types.js';

const require = createRequire(import.meta.url);
/** picomatch, loaded when a suppression with a path glob is first applied (most scans have none). */
let picomatchFn: typeof import('picomatch') | undefined;

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

export { SCAN_CONFIG_ENV };

export interface UserScanConfig {
  config: ScanConfig;
  /**
   * `.modelsec.json` files at the top of scanned directories that were NOT read (configuration comes from the user,
   * never from the model): the CLI names them on stderr so a user who expected them knows to pass --config.
   */
  ignored: string[];
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * The scan configuration the USER chose, never one shipped inside the scanned files (a model that carries its own
 * `.modelsec.json` would suppress its own findings and allowlist its own payload):
 * 1. `--config FILE` (`flag`), else
 * 2. the file named by MODELSEC_CONFIG, else
 * 3. `.modelsec.json` in the working directory or its nearest ancestor, ONLY when the working directory is not inside
 *    a scanned path (then no ancestor is either); a scanned file stands for its directory (`cd model && modelsec scan
 *    weights.pkl` must not read the model's own config). Never looked up from the scanned paths upward.
 * Defaults when none applies.
 */
export function findUserScanConfig(options: {
  cwd: string;
  scannedPaths: readonly string[];
  flag?: string;
  env?: NodeJS.ProcessEnv;
}): UserScanConfig {
  // A scanned file's directory is where it came from (a download, a checkout): it counts as scanned content.
  const scanned = options.scannedPaths.map((p) => {
    const real = realOrResolved(resolve(options.cwd, p));
    return existsSync(real) && !statSync(real).isDirectory() ? dirname(real) : real;
  });
  const ignored = [...new Set(scanned)].map((p) => join(p, SCAN_CONFIG_FILE_NAME)).filter((p) => existsSync(p));
  if (options.flag) return { config: loadScanConfigFile(resolve(options.cwd, options.flag)), ignored };
  const fromEnv = options.env?.[SCAN_CONFIG_ENV];
  if (fromEnv) return { config: loadScanConfigFile(resolve(options.cwd, fromEnv)), ignored };
  const cwd = realOrResolved(options.cwd);
  if (scanned.some((p) => isWithin(cwd, p))) return { config: EMPTY_SCAN_CONFIG, ignored };
  for (let dir = cwd; ; ) {
    const candidate = join(dir, SCAN_CONFIG_FILE_NAME);
    if (existsSync(candidate)) return { config: loadScanConfigFile(candidate), ignored };
    const parent = dirname(dir);
    if (parent === dir) return { config: EMPTY_SCAN_CONFIG, ignored };
    dir = parent;
  }
}

/** Marks findings a suppression matches (they stay listed, flagged suppressed with the reason). */
export function applySuppressions(file: FileReport, suppressions: readonly Suppression[]): void {
  if (suppressions.length === 0) return;
  picomatchFn ??= require('picomatch') as typeof import('picomatch');
  const picomatch = picomatchFn;
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
