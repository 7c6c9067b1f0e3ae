export { makeFinding } from './findings.js';
export { type Classification, classifyGlobal, fixImports, type GlobalVerdict } from './globals.js';
export * from './limits.js';
export { looksLikePickle } from './looks-like-pickle.js';
export { OPCODES, opcodeByte } from './opcodes.js';
export { type PickleReading, readAsPickle } from './reading.js';
export { type NestedScanner, type PicklePassOptions, type PickleScanResult, scanPickleStream } from './scan-pickle.js';
export { type AfterBuild, type PickleEvent, type PickleRun, type RunOptions, runPickle, type SymValue } from './vm.js';
