// Lineage extraction (issue #7): edges from ML-BOM pedigree/datasets and SLSA provenance.
export * from './extract.js';
