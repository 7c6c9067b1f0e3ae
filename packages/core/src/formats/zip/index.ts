export * from './limits.js';
export {
  looksLikeZip,
  type ReadZipEntriesOptions,
  type ReadZipEntryOptions,
  readZipEntries,
  readZipEntry,
  type ZipAnomaly,
  type ZipEntry,
  ZipFormatError,
  ZipLimitError,
  type ZipListing,
  type ZipMemberData,
} from './reader.js';
