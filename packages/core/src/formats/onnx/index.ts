/**
 * ONNX ModelProto reader (header facts only, never tensor values): IR version, producer, opsets, graph name,
 * initializers with their external_data locations, node op types and domains (subgraphs included), metadata_props.
 * readOnnxHeader reads the model-level fields alone, from a ByteSource, stepping over the graph by its length.
 */
import { ModelsecError } from '../../errors/index.js';
import type { ByteSource } from '../byte-source.js';
import {
  MAX_PROTOBUF_DEPTH,
  type ProtoField,
  protoFields,
  protoFieldsOfSource,
  protoString,
  readVarint,
} from '../protobuf/index.js';
import { headFields } from '../structures/proto-formats.js';

/** Nodes and initializers collected (real models have tens of thousands); more is LIMIT_EXCEEDED. */
export const MAX_ONNX_ITEMS = 2_000_000;
/** Top-level ModelProto fields walked by readOnnxHeader: real models have about ten (the graph is one field). */
export const MAX_ONNX_HEADER_FIELDS = 10_000;
/** Bytes of one producer, domain or opset_import field read by readOnnxHeader: real ones are a few bytes. */
export const MAX_ONNX_HEADER_FIELD_BYTES = 4096;

export interface OnnxInitializer {
  name: string;
  /** external_data entries (location, offset, length, checksum) when data_location = EXTERNAL. */
  externalData: Record<string, string>;
  /** TensorProto.dims (field 1). */
  dims?: bigint[];
  /** TensorProto.data_type (field 2, onnx.TensorProto.DataType). */
  dataType?: number;
}

/** Bits per element of each TensorProto.DataType with a fixed width (onnx.proto; STRING has none). */
export const ONNX_DTYPE_BITS: Readonly<Record<number, number>> = {
  1: 32, // FLOAT
  2: 8, // UINT8
  3: 8, // INT8
  4: 16, // UINT16
  5: 16, // INT16
  6: 32, // INT32
  7: 64, // INT64
  9: 8, // BOOL
  10: 16, // FLOAT16
  11: 64, // DOUBLE
  12: 32, // UINT32
  13: 64, // UINT64
  14: 64, // COMPLEX64
  15: 128, // COMPLEX128
  16: 16, // BFLOAT16
  17: 8, // FLOAT8E4M3FN
  18: 8, // FLOAT8E4M3FNUZ
  19: 8, // FLOAT8E5M2
  20: 8, // FLOAT8E5M2FNUZ
  21: 4, // UINT4
  22: 4, // INT4
  23: 4, // FLOAT4E2M1
};

/** Bytes of an initializer's data from its dims and data type, when both are known. */
export function onnxTensorBytes(init: OnnxInitializer): bigint | undefined {
  const bits = init.dataType === undefined ? undefined : ONNX_DTYPE_BITS[init.dataType];
  if (bits === undefined || init.dims === undefined) return undefined;
  const elements = init.dims.reduce((n, d) => n * d, 1n);
  return (elements * BigInt(bits) + 7n) / 8n;
}

/** The model-level fields of a ModelProto (everything but the graph, functions and metadata_props). */
export interface OnnxHeader {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  /** ModelProto.domain (the model's namespace, e.g. com.example). */
  domain?: string;
  /** In file order; domain '' is the default ai.onnx domain. */
  opsetImports: Array<{ domain: string; version: number }>;
}

export interface OnnxModel extends OnnxHeader {
  graphName?: string;
  initializers: OnnxInitializer[];
  nodes: Array<{ opType: string; domain: string }>;
  metadataProps: Record<string, string>;
}

function keyValue(bytes: Uint8Array): [string, string] {
  let key = '';
  let value = '';
  for (const f of protoFields(bytes)) {
    if (f.wire !== 2) continue;
    if (f.field === 1) key = protoString(f.value);
    else if (f.field === 2) value = protoString(f.value);
  }
  return [key, value];
}

function tensor(bytes: Uint8Array): OnnxInitializer {
  let name = '';
  const externalData: Record<string, string> = {};
  const dims: bigint[] = [];
  let dataType: number | undefined;
  for (const f of protoFields(bytes)) {
    if (f.field === 8 && f.wire === 2) name = protoString(f.value);
    else if (f.field === 13 && f.wire === 2) {
      const [k, v] = keyValue(f.value);
      externalData[k] = v;
    } else if (f.field === 1 && f.wire === 0) dims.push(BigInt.asIntN(64, f.value));
    else if (f.field === 1 && f.wire === 2) {
      let pos = 0;
      while (pos < f.value.length) {
        const [v, next] = readVarint(f.value, pos);
        dims.push(BigInt.asIntN(64, v));
        pos = next;
      }
    } else if (f.field === 2 && f.wire === 0) dataType = Number(f.value);
  }
  return { name, externalData, dims, ...(dataType !== undefined ? { dataType } : {}) };
}

function count(model: OnnxModel): void {
  if (model.nodes.length + model.initializers.length > MAX_ONNX_ITEMS) {
    throw new ModelsecError('LIMIT_EXCEEDED', 'onnx: more than MAX_ONNX_ITEMS nodes and initializers', {
      details: { limit: MAX_ONNX_ITEMS },
    });
  }
}

/** The ONNX messages walked for tensors and nodes (onnx.proto; every other message holds neither). */
type OnnxMessage = 'graph' | 'node' | 'attribute' | 'tensor' | 'sparseTensor' | 'trainingInfo' | 'function';

/**
 * Where each walked message holds the messages that can carry a TensorProto (external_data) or a NodeProto
 * (operator domain), by field number, from onnx.proto. A TensorProto with external_data is read from disk wherever
 * it sits (onnx.numpy_helper.to_array(t, base_dir), ONNX Runtime's sparse initializers and Constant sparse_value),
 * so every position is walked by the schema rather than the few places a loader is known to look: a sparse tensor
 * attribute (fields 22/23) or a function's attribute default (FunctionProto.attribute_proto) was skipped.
 */
const ONNX_CHILDREN: Readonly<Record<OnnxMessage, Readonly<Record<number, OnnxMessage>>>> = {
  // node, initializer, sparse_initializer
  graph: { 1: 'node', 5: 'tensor', 15: 'sparseTensor' },
  // attribute
  node: { 5: 'attribute' },
  // t, g, tensors, graphs, sparse_tensor, sparse_tensors
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparseTensor', 23: 'sparseTensor' },
  // values, indices
  sparseTensor: { 1: 'tensor', 2: 'tensor' },
  // initialization, algorithm
  trainingInfo: { 1: 'graph', 2: 'graph' },
  // node, attribute_proto (attribute defaults)
  function: { 7: 'node', 11: 'attribute' },
  tensor: {},
};

/** Walks one message by ONNX_CHILDREN; `graphDepth` counts graphs nested in attributes and training info. */
/** The main graph: its name, then its contents as any graph's. */
function graph(bytes: Uint8Array, model: OnnxModel): void {
  for (const f of protoFields(bytes)) if (f.field === 2 && f.wire === 2) model.graphName = protoString(f.value);
  walk('graph', bytes, model, 0);
}

function walk(kind: OnnxMessage, bytes: Uint8Array, model: OnnxModel, graphDepth: number): void {
  if (kind === 'tensor') {
    model.initializers.push(tensor(bytes));
    count(model);
    return;
  }
  if (kind === 'graph' && graphDepth > MAX_PROTOBUF_DEPTH)
    throw new ModelsecError('LIMIT_EXCEEDED', 'onnx: subgraphs nested deeper than MAX_PROTOBUF_DEPTH', {
      details: { limit: MAX_PROTOBUF_DEPTH },
    });
  const children = ONNX_CHILDREN[kind];
  let opType = '';
  let domain = '';
  for (const f of protoFields(bytes)) {
    if (f.wire !== 2) continue;
    if (kind === 'node' && f.field === 4) opType = protoString(f.value);
    else if (kind === 'node' && f.field === 7) domain = protoString(f.value);
    const child = children[f.field];
    if (child !== undefined) walk(child, f.value, model, child === 'graph' ? graphDepth + 1 : graphDepth);
  }
  if (kind === 'node') {
    model.nodes.push({ opType, domain });
    count(model);
  }
}

/** Length-delimited ModelProto fields that headerField reads: producer_name, producer_version, domain, opset_import. */
const HEADER_BYTES_FIELDS = new Set([2, 3, 4, 8]);

/** Applies a model-level field (ir_version or one of HEADER_BYTES_FIELDS) to `header`; false for any other field. */
function headerField(header: OnnxHeader, f: ProtoField): boolean {
  if (f.field === 1 && f.wire === 0) header.irVersion = Number(f.value);
  else if (f.wire !== 2 || !HEADER_BYTES_FIELDS.has(f.field)) return false;
  else if (f.field === 2) header.producerName = protoString(f.value);
  else if (f.field === 3) header.producerVersion = protoString(f.value);
  else if (f.field === 4) header.domain = protoString(f.value);
  else {
    let domain = '';
    let version = 0;
    for (const o of protoFields(f.value)) {
      if (o.field === 1 && o.wire === 2) domain = protoString(o.value);
      else if (o.field === 2 && o.wire === 0) version = Number(o.value);
    }
    header.opsetImports.push({ domain, version });
  }
  return true;
}

/** A ModelProto has an ir_version and a graph; anything else is not an ONNX model. */
function requireModelProto(header: OnnxHeader, sawGraph: boolean): void {
  if (header.irVersion === undefined || !sawGraph) {
    throw new ModelsecError('FORMAT_INVALID', 'onnx: no ir_version or graph in ModelProto', {
      details: { field: header.irVersion === undefined ? 'ir_version' : 'graph' },
    });
  }
}

/** Parses a serialized ONNX ModelProto. Throws FORMAT_INVALID / LIMIT_EXCEEDED. */
export function parseOnnxModel(bytes: Uint8Array): OnnxModel {
  const model: OnnxModel = { opsetImports: [], initializers: [], nodes: [], metadataProps: {} };
  let sawGraph = false;
  for (const f of protoFields(bytes)) {
    if (headerField(model, f) || f.wire !== 2) continue;
    if (f.field === 7) {
      sawGraph = true;
      graph(f.value, model);
    } else if (f.field === 20) walk('trainingInfo', f.value, model, 0);
    else if (f.field === 25) walk('function', f.value, model, 0);
    else if (f.field === 14) {
      const [k, v] = keyValue(f.value);
      model.metadataProps[k] = v;
    }
  }
  requireModelProto(model, sawGraph);
  return model;
}

/**
 * Reads the model-level fields of an ONNX file (ir_version, producer, domain, opset imports) without loading it:
 * the graph and every other large field are stepped over by their length. Accepts and refuses files as
 * parseOnnxModel does at the top level (the graph's contents are not checked). Throws FORMAT_INVALID /
 * LIMIT_EXCEEDED.
 */
export async function readOnnxHeader(source: ByteSource): Promise<OnnxHeader> {
  const header: OnnxHeader = { opsetImports: [] };
  let sawGraph = false;
  let fields = 0;
  for await (const f of protoFieldsOfSource(source)) {
    if (++fields > MAX_ONNX_HEADER_FIELDS) {
      throw new ModelsecError('LIMIT_EXCEEDED', 'onnx: more than MAX_ONNX_HEADER_FIELDS top-level fields', {
        details: { limit: MAX_ONNX_HEADER_FIELDS },
      });
    }
    if (f.wire !== 2) headerField(header, f);
    else if (f.field === 7) sawGraph = true;
    else if (HEADER_BYTES_FIELDS.has(f.field)) {
      if (f.length > MAX_ONNX_HEADER_FIELD_BYTES) {
        throw new ModelsecError('LIMIT_EXCEEDED', `onnx: field ${f.field} is ${f.length} bytes (MAX_ONNX_HEADER_FIELD_BYTES)`, {
          details: { field: f.field, limit: MAX_ONNX_HEADER_FIELD_BYTES },
        });
      }
      headerField(header, { field: f.field, wire: 2, value: await f.read() });
    }
  }
  requireModelProto(header, sawGraph);
  return header;
}

/** Bytes of the graph field checked by looksLikeOnnxModel (its first fields; the handler parses all of it). */
const ONNX_GRAPH_CHECK_BYTES = 1024 * 1024;

/**
 * Whether a source is an ONNX ModelProto by its protobuf structure, in any field order (protobuf writers may put
 * `ir_version` anywhere): the top-level message is wire-valid to the end of the file, holds an ir_version (field
 * 1, varint) and a graph (field 7, length-delimited) whose fields are all length-delimited, as every GraphProto
 * field is. Unknown fields are allowed, as protobuf parsers (onnx.load, ONNX Runtime) allow them.
 */
export async function looksLikeOnnxModel(source: ByteSource): Promise<boolean> {
  let irVersion = false;
  let graph: { offset: number; length: number; read: () => Promise<Uint8Array> } | undefined;
  let fields = 0;
  try {
    for await (const f of protoFieldsOfSource(source)) {
      if (++fields > MAX_ONNX_HEADER_FIELDS) return false;
      if (f.field === 1 && f.wire === 0) irVersion = true;
      else if (f.field === 7 && f.wire === 2) graph ??= f;
    }
  } catch {
    return false;
  }
  if (!irVersion || !graph) return false;
  const bytes = await source.read(graph.offset, Math.min(graph.length, ONNX_GRAPH_CHECK_BYTES));
  const graphFields = headFields(bytes, graph.length);
  return graphFields?.every((f) => f.wire === 2) ?? false;
}

/** @deprecated Use looksLikeOnnxModel (structure in any field order); kept for callers of the head sniff. */
export function looksLikeOnnx(head: Uint8Array): boolean {
  const fields = headFields(head, Number.MAX_SAFE_INTEGER) ?? [];
  return fields.some((f) => f.field === 1 && f.wire === 0) && fields.some((f) => f.field === 7 && f.wire === 2);
}
