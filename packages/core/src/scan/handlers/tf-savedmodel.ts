/**
 * TF SavedModel `saved_model.pb` (and bare GraphDefs: frozen `.pb` graphs), decoded by protobuf structure as
 * TensorFlow reads them: SavedModel.meta_graphs (2) -> MetaGraphDef.graph_def (2) -> GraphDef.node (1) and
 * GraphDef.library (2) -> FunctionDefLibrary.function (1) -> FunctionDef.node_def (3); each NodeDef's op (2) and
 * attrs (5: map<string, AttrValue>). Every node of the graph and of every function is judged by its op:
 * - Python callbacks (PyFunc, PyFuncStateless, EagerPyFunc) are critical: they run Python registered in the
 *   serving process;
 * - ops that read, write, list or map host files by a path in the graph (ReadFile, WriteFile, MatchingFiles,
 *   ImmutableConst, file readers and datasets, summary and dataset writers) are high;
 * - `tf.print` (PrintV2) is ordinary unless its `output_stream` attr names a file (`file://...`): then high;
 * - everything else, including the checkpoint save/restore ops every SavedModel holds, is ordinary.
 */
import { ModelsecError } from '../../errors/index.js';
import type { ByteSource } from '../../formats/byte-source.js';
import { protoFields, protoString } from '../../formats/protobuf/index.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler, ScanIssue } from '../types.js';
import { MAX_KERAS_CONFIG_BYTES, scanKerasConfig } from './keras.js';

/** Largest saved_model.pb read (protobuf's own cap is 2 GB). */
export const MAX_SAVEDMODEL_BYTES = 2 * 1024 * 1024 * 1024 - 1;
/** Nodes collected from one graph and its function library (real graphs have up to a few hundred thousand). */
const MAX_NODES = 10_000_000;

/** Ops that read/write files, run Python, or execute commands when the graph runs, with their severity. */
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
  WholeFileReader: 'high',
  WholeFileReaderV2: 'high',
  TextLineReader: 'high',
  TextLineReaderV2: 'high',
  TFRecordReader: 'high',
  TFRecordReaderV2: 'high',
  FixedLengthRecordReader: 'high',
  FixedLengthRecordReaderV2: 'high',
  LMDBReader: 'high',
  TextLineDataset: 'high',
  TFRecordDataset: 'high',
  TFRecordDatasetV2: 'high',
  FixedLengthRecordDataset: 'high',
  FixedLengthRecordDatasetV2: 'high',
  CSVDataset: 'high',
  CSVDatasetV2: 'high',
  SqlDataset: 'high',
  LMDBDataset: 'high',
  DatasetToTFRecord: 'high',
  SaveDataset: 'high',
  SaveDatasetV2: 'high',
  LoadDataset: 'high',
  CreateSummaryFileWriter: 'high',
  CreateSummaryDbWriter: 'high',
};

export interface TfNode {
  op: string;
  /** PrintV2's output_stream attr (AttrValue.s), when set. */
  outputStream?: string;
}

function nodeDef(bytes: Uint8Array): TfNode {
  let op = '';
  let outputStream: string | undefined;
  for (const f of protoFields(bytes)) {
    if (f.wire !== 2) continue;
    if (f.field === 2) op = protoString(f.value);
    else if (f.field === 5) {
      // map<string, AttrValue> entry: key 1, value 2; AttrValue.s is field 2.
      let key = '';
      let value: Uint8Array | undefined;
      for (const e of protoFields(f.value)) {
        if (e.field === 1 && e.wire === 2) key = protoString(e.value);
        else if (e.field === 2 && e.wire === 2) value = e.value;
      }
      if (key === 'output_stream' && value)
        for (const a of protoFields(value)) if (a.field === 2 && a.wire === 2) outputStream = protoString(a.value);
    }
  }
  return outputStream === undefined ? { op } : { op, outputStream };
}

function graphDef(bytes: Uint8Array, out: TfNode[]): void {
  for (const f of protoFields(bytes)) {
    if (f.wire !== 2) continue;
    if (f.field === 1) out.push(nodeDef(f.value));
    else if (f.field === 2) {
      for (const fn of protoFields(f.value)) {
        if (fn.field !== 1 || fn.wire !== 2) continue;
        for (const n of protoFields(fn.value)) if (n.field === 3 && n.wire === 2) out.push(nodeDef(n.value));
      }
    }
    if (out.length > MAX_NODES)
      throw new ModelsecError('LIMIT_EXCEEDED', 'tf: more than MAX_NODES nodes', { details: { limit: 'MAX_NODES' } });
  }
}

function metaGraph(bytes: Uint8Array, nodes: TfNode[]): void {
  for (const m of protoFields(bytes)) if (m.field === 2 && m.wire === 2) graphDef(m.value, nodes);
}

/**
 * Every node of a SavedModel (all meta graphs), of a MetaGraphDef (TF1 `.meta`), or of a bare GraphDef, as
 * `kind` says (detection tells them apart by their schema: detect.ts).
 */
export function readTfNodes(bytes: Uint8Array, kind: 'savedmodel' | 'metagraph' | 'graphdef' = 'savedmodel'): TfNode[] {
  const nodes: TfNode[] = [];
  if (kind === 'metagraph') {
    metaGraph(bytes, nodes);
    return nodes;
  }
  const top = [...protoFields(bytes)];
  const isSavedModel =
    kind === 'savedmodel' &&
    top.length > 0 &&
    top.every((f) => (f.field === 1 && f.wire === 0) || (f.field === 2 && f.wire === 2));
  if (!isSavedModel) {
    graphDef(bytes, nodes);
    return nodes;
  }
  for (const f of top) if (f.field === 2 && f.wire === 2) metaGraph(f.value, nodes);
  return nodes;
}

/** The ops of a graph that touch files or run code, with why (sorted, one per op). */
export function judgeTfNodes(nodes: readonly TfNode[]): Array<{ op: string; severity: 'critical' | 'high'; why: string }> {
  const out = new Map<string, { op: string; severity: 'critical' | 'high'; why: string }>();
  for (const n of nodes) {
    const severity = DANGEROUS_TF_OPS[n.op];
    if (severity) out.set(n.op, { op: n.op, severity, why: `graph uses the ${n.op} op` });
    else if (n.op === 'PrintV2' && n.outputStream?.startsWith('file://'))
      out.set(`${n.op}:${n.outputStream}`, { op: n.op, severity: 'high', why: `tf.print writes to ${n.outputStream}` });
  }
  return [...out.values()].sort((a, b) => (a.op < b.op ? -1 : a.op > b.op ? 1 : a.why < b.why ? -1 : 1));
}

/**
 * Keras layer JSON a SavedModel keeps in its object graph, as tf_keras reads it when the directory has no
 * keras_metadata.pb (keras/saving/legacy/saved_model/load.py, _read_legacy_metadata; TF < 2.5 wrote it there):
 * SavedModel.meta_graphs (2) -> MetaGraphDef.object_graph_def (7) -> SavedObjectGraph.nodes (1) ->
 * SavedObject.user_object (4) -> SavedUserObject.metadata (3, a JSON string). Lambda layers and
 * TorchModuleWrapper payloads there load like those of keras_metadata.pb.
 */
export function legacyKerasMetadata(
  bytes: Uint8Array,
  kind: 'savedmodel' | 'metagraph',
): Array<{ node: number; json: Uint8Array }> {
  const out: Array<{ node: number; json: Uint8Array }> = [];
  const fromMetaGraph = (meta: Uint8Array): void => {
    for (const m of protoFields(meta)) {
      if (m.field !== 7 || m.wire !== 2) continue;
      let node = 0;
      for (const n of protoFields(m.value)) {
        if (n.field !== 1 || n.wire !== 2) continue;
        node++;
        for (const k of protoFields(n.value)) {
          if (k.field !== 4 || k.wire !== 2) continue;
          for (const u of protoFields(k.value))
            if (u.field === 3 && u.wire === 2 && u.value.length > 0) out.push({ node: node - 1, json: u.value });
        }
      }
    }
  };
  if (kind === 'metagraph') fromMetaGraph(bytes);
  else for (const f of protoFields(bytes)) if (f.field === 2 && f.wire === 2) fromMetaGraph(f.value);
  return out;
}

/** Ops of a bare GraphDef held in memory (kept for callers of the earlier byte-level scan). */
export function findTfOps(bytes: Uint8Array): string[] {
  try {
    return judgeTfNodes(readTfNodes(bytes)).map((j) => j.op);
  } catch {
    return [];
  }
}

/** A SavedModel's top level: schema version (1, varint) and meta graphs (2) only (as readTfNodes tells them). */
function isSavedModelShape(bytes: Uint8Array): boolean {
  const top = [...protoFields(bytes)];
  return top.length > 0 && top.every((f) => (f.field === 1 && f.wire === 0) || (f.field === 2 && f.wire === 2));
}

async function readAll(source: ByteSource): Promise<Uint8Array> {
  return source.read(0, source.size);
}

function tfGraphHandler(format: 'tf-savedmodel' | 'tf-metagraph'): FormatHandler {
  return {
    formats: [format],
    async scan(source, ctx) {
      if (source.size > MAX_SAVEDMODEL_BYTES) {
        return {
          findings: [
            makeFinding('MS-ENG-002', 'TensorFlow graph larger than MAX_SAVEDMODEL_BYTES was not parsed', {
              members: [...ctx.members],
            }),
          ],
          errors: [],
        };
      }
      const findings: Finding[] = [];
      const errors: ScanIssue[] = [];
      const bytes = await readAll(source);
      const kind = format === 'tf-metagraph' ? 'metagraph' : 'savedmodel';
      const nodes = readTfNodes(bytes, kind);
      for (const j of judgeTfNodes(nodes)) {
        findings.push(makeFinding('MS-TF-001', j.why, { members: [...ctx.members], path: j.op }, { op: j.op }, j.severity));
      }
      // A plain graph (no object graph) has none; readTfNodes already accepted the protobuf structure.
      const legacy = kind === 'savedmodel' && !isSavedModelShape(bytes) ? [] : legacyKerasMetadata(bytes, kind);
      for (const { node, json } of legacy) {
        const where = `object ${node} metadata`;
        const members = [...ctx.members, where];
        if (json.length > MAX_KERAS_CONFIG_BYTES) {
          findings.push(makeFinding('MS-ENG-002', 'Keras object metadata larger than MAX_KERAS_CONFIG_BYTES', { members }));
          continue;
        }
        let config: unknown;
        try {
          config = JSON.parse(protoString(json));
        } catch {
          findings.push(makeFinding('MS-ENG-002', 'Keras object metadata is not JSON', { members }));
          continue;
        }
        const judged = await scanKerasConfig(config, members, ctx, where);
        findings.push(...judged.findings);
        errors.push(...judged.errors);
      }
      return { findings, errors };
    },
  };
}

/** SavedModel `saved_model.pb` and bare GraphDefs (frozen graphs). */
export const tfSavedModelHandler: FormatHandler = tfGraphHandler('tf-savedmodel');
/** TF1 MetaGraphDef files (`model.ckpt.meta`). */
export const tfMetaGraphHandler: FormatHandler = tfGraphHandler('tf-metagraph');
