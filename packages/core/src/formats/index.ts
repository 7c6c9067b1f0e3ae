export { type ByteSource, fileSource, memorySource } from './byte-source.js';
/** GGUF v2/v3 header reader (metadata, tensor infos; bounded), type names, parameter counts and model facts. */
export * as gguf from './gguf/index.js';
/** ONNX ModelProto reader (opsets, initializers' external_data, node op types/domains, metadata_props) and header-only reader. */
export * as onnx from './onnx/index.js';
export type { ParameterCounts } from './parameter-counts.js';
/** Minimal protobuf wire-format reader. */
export * as protobuf from './protobuf/index.js';
/** safetensors header reader, integrity validator, parameter counts, sharded index parser. */
export * as safetensors from './safetensors/index.js';
export {
  DEFAULT_MAX_MEMBER_BYTES,
  looksLikeZip,
  MAX_CENTRAL_DIRECTORY_BYTES,
  MAX_LOCAL_HEADER_SCAN_BYTES,
  MAX_ZIP_ENTRIES,
  MAX_ZIP_NAME_LENGTH,
  type ReadZipEntriesOptions,
  type ReadZipEntryOptions,
  readZipEntries,
  readZipEntry,
  readZipMember,
  torchArchivePrefix,
  torchRecord,
  type ZipAnomaly,
  type ZipAnomalyKind,
  type ZipEntry,
  ZipFormatError,
  ZipLimitError,
  type ZipListing,
  type ZipMemberData,
  type ZipMemberRead,
  type ZipReader,
  zipfileOpens,
} from './zip/index.js';
