/**
 * TF SavedModel `saved_model.pb`: every NodeDef `op` string (protobuf field 2, length-delimited) is matched
 * against ops that touch files or run Python. The GraphDef is scanned as bytes for `0x12 <len> <op name>`, which
 * finds ops in the graph and in every function of the library without decoding the whole schema.
 */
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler } from '../types.js';

/** Largest saved_model.pb read (protobuf's own cap is 2 GB). */
export const MAX_SAVEDMODEL_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** Ops that read/write files, run Python, or execute commands when the graph runs. */
export const DANGEROUS_TF_OPS: Readonly<Record<string, 'critical' | 'high'>> = {
  PyFunc: 'critical',
  PyFuncStateless: 'critical',
  EagerPyFunc: 'critical',
  ShellExecute: 'critical',
  ReadFile: 'high',
  WriteFile: 'high',
  MatchingFiles: 'high',
  DeleteFile: 'high',
  ImmutableConst: 'high',
  PrintV2: 'high',
};

export function findTfOps(bytes: Uint8Array): string[] {
  const found = new Set<string>();
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  for (const op of Object.keys(DANGEROUS_TF_OPS)) {
    const needle = Buffer.concat([Buffer.from([0x12, op.length]), Buffer.from(op, 'latin1')]);
    if (text.indexOf(needle) >= 0) found.add(op);
  }
  return [...found].sort();
}

/** Checkpoint saver ops (SaveV2, MergeV2Checkpoints) are in every SavedModel and are not reported. */
export const tfSavedModelHandler: FormatHandler = {
  formats: ['tf-savedmodel'],
  async scan(source, ctx) {
    if (source.size > MAX_SAVEDMODEL_BYTES) {
      return {
        findings: [
          makeFinding('MS-ENG-002', 'saved_model.pb larger than MAX_SAVEDMODEL_BYTES was not parsed', {
            members: [...ctx.members],
          }),
        ],
        errors: [],
      };
    }
    const findings: Finding[] = [];
    for (const op of findTfOps(await source.read(0, source.size))) {
      const severity = DANGEROUS_TF_OPS[op] ?? 'high';
      findings.push(
        makeFinding('MS-TF-001', `graph uses the ${op} op`, { members: [...ctx.members], path: op }, { op }, severity),
      );
    }
    return { findings, errors: [] };
  },
};
