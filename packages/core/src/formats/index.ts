export { type ByteSource, fileSource, memorySource } from './byte-source.js';
