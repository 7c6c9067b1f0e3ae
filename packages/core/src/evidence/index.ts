export {
  buildScanPredicate,
  MLBOM_PREDICATE_TYPE,
  ruleSetDigest,
  SCAN_ATTESTATION_SCHEMA_PATH,
  SCAN_PREDICATE_TYPE,
  type ScanPredicate,
  type ScanPredicateFile,
  scanPredicateCoverage,
  scanPredicateGateFiles,
  signedPaths,
  validateScanPredicate,
} from './scan-predicate.js';
