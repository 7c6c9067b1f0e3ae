// The transparency-log capability (issue #7): RFC 6962 Merkle tree, proofs, C2SP signed notes and checkpoints.
export * from './checkpoint.js';
export * from './cosignature.js';
export * from './entries.js';
export * from './merkle.js';
export * from './note.js';
export { MerkleTree } from './tree.js';
