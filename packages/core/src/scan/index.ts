export { HANDLERS, handlerFor } from './handlers/index.js';
export {
  classifyGlobal,
  DEFAULT_HANDLER_CONFIG,
  looksLikePickle,
  runPickle,
  scanPickleStream,
  standaloneScanContext,
} from './pickle/index.js';
export { RULES, type RuleSpec, ruleById } from './rules/index.js';
export {
  atLeast,
  type DetectedFormat,
  type FileReport,
  type Finding,
  type FindingLocation,
  type FormatHandler,
  type HandlerConfig,
  type HandlerResult,
  type Reference,
  type ScanContext,
  type ScanIssue,
  SEVERITIES,
  type Severity,
  severityRank,
} from './types.js';
