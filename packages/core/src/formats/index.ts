export { type ByteSource, fileSource, memorySource } from './byte-source.js';
export * from './zip/index.js';
