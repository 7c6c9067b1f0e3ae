export { makeFinding } from './findings.js';
export { type Classification, classifyGlobal, fixImports, type GlobalVerdict } from './globals.js';
export {
  MAX_FINDINGS_PER_RULE,
  MAX_GLOBAL_NAME_BYTES,
  MAX_LINE_LENGTH,
  MAX_MEMO_ENTRIES,
  MAX_NESTED_PER_PICKLE,
  MAX_PICKLE_BYTES,
  MAX_PICKLE_NESTING,
  MAX_PICKLE_OPCODES,
  MAX_PICKLES_PER_STREAM,
  MAX_STACK_DEPTH,
  MAX_STRING_BYTES,
  MAX_TRACKED_ITEMS,
} from './limits.js';
export { looksLikePickle } from './looks-like-pickle.js';
export { OPCODES, opcodeByte } from './opcodes.js';
export { type PickleReading, readAsPickle } from './reading.js';
export { type NestedScanner, type PicklePassOptions, type PickleScanResult, scanPickleStream } from './scan-pickle.js';
export { type AfterBuild, type PickleEvent, type PickleRun, type RunOptions, runPickle, type SymValue } from './vm.js';
