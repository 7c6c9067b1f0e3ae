export { makeFinding } from './findings.js';
export { classifyGlobal, fixImports, type GlobalVerdict } from './globals.js';
export * from './limits.js';
export { looksLikePickle } from './looks-like-pickle.js';
export { OPCODES, opcodeByte } from './opcodes.js';
export { type NestedScanner, type PicklePassOptions, type PickleScanResult, scanPickleStream } from './scan-pickle.js';
export { type PickleEvent, type PickleRun, runPickle, type SymValue } from './vm.js';
