export { type ByteSource, fileSource, memorySource } from './byte-source.js';
/** GGUF v2/v3 header reader (metadata, tensor infos; bounded), as a namespace (bom/ has its own summary readers). */
export * as gguf from './gguf/index.js';
/** ONNX ModelProto reader (opsets, initializers' external_data, node op types/domains, metadata_props). */
export * as onnx from './onnx/index.js';
/** Minimal protobuf wire-format reader. */
export * as protobuf from './protobuf/index.js';
/** safetensors header reader, integrity validator, sharded index parser. */
export * as safetensors from './safetensors/index.js';
export * from './zip/index.js';
