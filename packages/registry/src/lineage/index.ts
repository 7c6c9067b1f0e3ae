export {
  backfillLineageIndex,
  LineageIndex,
  type LineageTreeNode,
  lineageOfAttachments,
  lineageRecords,
  MAX_LINEAGE_DEPTH,
  MAX_LINEAGE_DOCUMENT_BYTES,
  type VersionRef,
} from './lineage.js';
export { lineageRoutes } from './routes.js';
