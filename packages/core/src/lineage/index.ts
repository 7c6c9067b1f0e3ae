// Lineage extraction (issue #7): edges from ML-BOM pedigree/datasets and SLSA provenance.
export {
  type LineageEdge,
  type LineageNode,
  type LineageNodeKind,
  type LineageRelation,
  lineageFromMlbom,
  lineageFromProvenance,
  lineageNode,
  MAX_LINEAGE_EDGES_PER_DOCUMENT,
  mergeLineage,
} from './extract.js';
