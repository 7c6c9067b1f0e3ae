export { type ByteSource, fileSource, memorySource } from './byte-source.js';
/** GGUF v2/v3 header reader (metadata, tensor infos; bounded), as a namespace (bom/ has its own summary readers). */
export * as gguf from './gguf/index.js';
/** safetensors header reader, integrity validator, sharded index parser. */
export * as safetensors from './safetensors/index.js';
export * from './zip/index.js';
