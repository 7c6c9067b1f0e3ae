export {
  createScanBudget,
  MAX_DECOMPRESSED_BYTES_PER_FILE,
  MAX_ENTRIES_PER_FILE,
  type ScanBudgetLimits,
} from './budget.js';
export { findCompanions } from './companions.js';
export {
  applySuppressions,
  EMPTY_SCAN_CONFIG,
  findUserScanConfig,
  loadScanConfigFile,
  parseScanConfig,
  SCAN_CONFIG_ENV,
  SCAN_CONFIG_FILE_NAME,
  type ScanConfig,
  type Suppression,
  type UserScanConfig,
} from './config.js';
export { classifyZipMembers, detectFormat } from './detect.js';
export {
  DEFAULT_MAX_FILE_SIZE,
  MAX_SCAN_NESTING,
  MAX_WALK_FILES,
  type ScanOptions,
  type ScanReport,
  type ScanSummary,
  scanBytes,
  scanFile,
  scanPaths,
  summarise,
} from './engine.js';
export {
  DEFAULT_GATE,
  evaluateGate,
  failOnAbove,
  type GateFailure,
  type GateFile,
  type GateOptions,
  type GateResult,
  gateFileOf,
  verdictOf,
} from './gate.js';
export { findSstiPatterns } from './handlers/jinja-ssti.js';
export { loadHandler } from './handlers/lazy.js';
export {
  classifyGlobal,
  looksLikePickle,
  runPickle,
  scanPickleStream,
} from './pickle/index.js';
export { type PickleReading, readAsPickle } from './pickle/reading.js';
export { RULES, type RuleOutcome, type RuleSpec, ruleById } from './rules/index.js';
export { renderRulesDocs } from './rules-docs.js';
export { type SarifOptions, toSarif } from './sarif.js';
export {
  atLeast,
  type CompanionKind,
  type DetectedFormat,
  type DetectHints,
  FILE_VERDICTS,
  type FileReport,
  type FileVerdict,
  type Finding,
  type FindingLocation,
  type FormatHandler,
  type HandlerConfig,
  type HandlerResult,
  type Reference,
  type ScanBudget,
  type ScanContext,
  type ScanIssue,
  SEVERITIES,
  type Severity,
  severityRank,
} from './types.js';
