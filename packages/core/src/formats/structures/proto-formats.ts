/**
 * Protobuf-based formats of ML repositories, recognised by their schema (field numbers AND wire types of the
 * message, and of its first nested message), never by a magic byte: sentencepiece ModelProto, TF SavedModel,
 * bare TF GraphDef, TF SavedModel fingerprint.pb, keras_metadata.pb (SavedMetadata), Core ML Model (.mlmodel),
 * Paddle ProgramDesc (.pdmodel). Field numbers are those of each project's .proto file (named per schema).
 *
 * A schema lists every top-level field the format has; a file matches when every top-level field it holds is in
 * the schema with the right wire type, the required ones are there, and the first nested message named by the
 * schema parses with its own field list. ONNX is checked before all of these by its own reader (the most
 * dangerous reading of a protobuf wins): see detect.ts.
 */
import type { ByteSource } from '../byte-source.js';
import { type ProtoField, protoFieldsOfSource, readVarint } from '../protobuf/index.js';

type Wire = 0 | 1 | 2 | 5;

interface Schema {
  /** field number -> wire type. */
  fields: Readonly<Record<number, Wire>>;
  /** Fields that must be present. */
  required: readonly number[];
  /** Field numbers at or above this are extensions (any wire type), as in sentencepiece's `extensions 200 to max`. */
  extensionsFrom?: number;
  /**
   * A nested message checked by its own schema: the first occurrence of `field`, as far as the bytes read hold it
   * (its fields up to the end of the head; required fields are checked when the whole message was read).
   */
  nested?: { field: number; schema: Schema };
  /** Extra check over the fields read (values of varints, uniqueness...). */
  check?: (fields: readonly ProtoField[]) => boolean;
}

// sentencepiece/src/sentencepiece_model.proto: ModelProto { pieces 1; trainer_spec 2; normalizer_spec 3;
// self_test_data 4; denormalizer_spec 5; extensions 200 to max } and SentencePiece { piece 1 (string);
// score 2 (float); type 3 (enum) }.
const SENTENCEPIECE_PIECE: Schema = { fields: { 1: 2, 2: 5, 3: 0 }, required: [1], extensionsFrom: 200 };
export const SENTENCEPIECE_MODEL: Schema = {
  fields: { 1: 2, 2: 2, 3: 2, 4: 2, 5: 2 },
  required: [1],
  extensionsFrom: 200,
  nested: { field: 1, schema: SENTENCEPIECE_PIECE },
};

// tensorflow/core/framework/node_def.proto: NodeDef { name 1; op 2; input 3; device 4; attr 5;
// experimental_debug_info 6; experimental_type 7 }.
const TF_NODE_DEF: Schema = {
  fields: { 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2 },
  required: [2],
  // The op (field 2, written right after the name) is an op name: `Const`, `MatMul`, `_Retval`...
  check: (fields) =>
    fields.some(
      (f) =>
        f.field === 2 && f.wire === 2 && /^[A-Za-z_>][A-Za-z0-9_>]{0,127}$/.test(new TextDecoder().decode(f.value as Uint8Array)),
    ),
};
// graph.proto: GraphDef { node 1; library 2; version 3 (deprecated int32); versions 4; debug_info 5 }.
export const TF_GRAPH_DEF: Schema = {
  fields: { 1: 2, 2: 2, 3: 0, 4: 2, 5: 2 },
  required: [1],
  nested: { field: 1, schema: TF_NODE_DEF },
};
// meta_graph.proto: MetaGraphDef { meta_info_def 1; graph_def 2; saver_def 3; collection_def 4; signature_def 5;
// asset_file_def 6; object_graph_def 7 }.
const TF_META_GRAPH: Schema = { fields: { 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2 }, required: [] };
// meta_graph.proto MetaInfoDef { meta_graph_version 1; stripped_op_list 2; any_info 3; tags 4;
// tensorflow_version 5; tensorflow_git_version 6; stripped_default_attrs 7 (bool); function_aliases 8 }.
const TF_META_INFO: Schema = { fields: { 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 0, 8: 2 }, required: [] };
/** A MetaGraphDef on its own (TF1 `model.ckpt.meta`), opening with its MetaInfoDef. */
export const TF_META_GRAPH_FILE: Schema = {
  fields: { 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2 },
  required: [2],
  nested: { field: 1, schema: TF_META_INFO },
  check: (fields) => fields[0]?.field === 1,
};
// saved_model.proto: SavedModel { saved_model_schema_version 1 (int64); meta_graphs 2 }.
export const TF_SAVED_MODEL: Schema = {
  fields: { 1: 0, 2: 2 },
  required: [2],
  nested: { field: 2, schema: TF_META_GRAPH },
};
// fingerprint.proto: FingerprintDef { saved_model_checksum 1; graph_def_program_hash 2; signature_def_hash 3;
// saved_object_graph_hash 4; checkpoint_hash 5 (uint64 all); version 6 (VersionDef); uuid 7 (string) }.
const TF_VERSION_DEF: Schema = { fields: { 1: 0, 2: 0, 3: 0 }, required: [] };
export const TF_FINGERPRINT: Schema = {
  fields: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 2, 7: 2 },
  required: [1],
  nested: { field: 6, schema: TF_VERSION_DEF },
  check: (fields) => new Set(fields.map((f) => f.field)).size === fields.length,
};
// keras/protobuf/saved_metadata.proto: SavedMetadata { nodes 1 } and SavedObject { version 1 (VersionDef, TF 2.4);
// node_id 2; node_path 3; identifier 4; metadata 5 (JSON string); version 6 (VersionDef, tf-keras, which reserves 1) }.
const KERAS_SAVED_OBJECT: Schema = { fields: { 1: 2, 2: 0, 3: 2, 4: 2, 5: 2, 6: 2 }, required: [4] };
export const KERAS_SAVED_METADATA: Schema = {
  fields: { 1: 2 },
  required: [1],
  nested: { field: 1, schema: KERAS_SAVED_OBJECT },
};
// paddle/fluid/framework/framework.proto: ProgramDesc { blocks 1; reserved 2, 3; version 4; op_version_map 5 }
// and BlockDesc { idx 1; parent_idx 2; vars 3; ops 4; forward_block_idx 5 }.
const PADDLE_BLOCK: Schema = { fields: { 1: 0, 2: 0, 3: 2, 4: 2, 5: 0 }, required: [1, 2] };
export const PADDLE_PROGRAM: Schema = {
  fields: { 1: 2, 4: 2, 5: 2 },
  required: [1],
  nested: { field: 1, schema: PADDLE_BLOCK },
};
// coremltools mlmodel/format/Model.proto: Model { specificationVersion 1; description 2; isUpdatable 10; and one
// of the model types (field numbers 200..3000, each a message) }.
const COREML_TYPES = [
  200, 201, 202, 300, 301, 302, 303, 304, 400, 401, 402, 403, 404, 500, 501, 502, 555, 556, 560, 600, 601, 602, 603, 604, 606,
  607, 609, 610, 900, 2000, 2001, 2002, 2003, 2004, 2005, 2006, 3000,
];
export const COREML_MODEL: Schema = {
  fields: { 1: 0, 2: 2, 10: 0, ...Object.fromEntries(COREML_TYPES.map((t) => [t, 2 as Wire])) },
  required: [1],
  check: (fields) =>
    fields.filter((f) => f.field >= 200).length <= 1 &&
    fields.some((f) => f.field === 1 && f.wire === 0 && f.value >= 1n && f.value <= 1000n),
};

/**
 * The complete top-level fields within `bytes` (a file's head): stops at the first field that runs past the
 * head but fits in `size`; undefined when the bytes are not wire-valid protobuf.
 */
export function headFields(bytes: Uint8Array, size: number): ProtoField[] | undefined {
  return fieldsOf(bytes, size).fields;
}

/**
 * The top-level fields within `bytes` (a prefix of a message of `size` bytes) and, when the last one runs past
 * the prefix, that field's available bytes (`partial`); undefined fields when the bytes are not wire-valid.
 */
function fieldsOf(
  bytes: Uint8Array,
  size: number,
): { fields: ProtoField[] | undefined; partial?: { field: number; bytes: Uint8Array; length: number } } {
  const out: ProtoField[] = [];
  let pos = 0;
  try {
    while (pos < bytes.length) {
      const [key, afterKey] = readVarint(bytes, pos);
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (field === 0) return { fields: undefined };
      if (wire === 0) {
        const [value, end] = readVarint(bytes, afterKey);
        out.push({ field, wire, value });
        pos = end;
      } else if (wire === 1 || wire === 5) {
        const n = wire === 1 ? 8 : 4;
        if (afterKey + n > bytes.length) return { fields: afterKey + n <= size ? out : undefined };
        out.push({ field, wire, value: bytes.subarray(afterKey, afterKey + n) });
        pos = afterKey + n;
      } else if (wire === 2) {
        const [length, start] = readVarint(bytes, afterKey);
        if (BigInt(start) + length > BigInt(bytes.length)) {
          if (BigInt(start) + length > BigInt(size)) return { fields: undefined };
          return { fields: out, partial: { field, bytes: bytes.subarray(start), length: Number(length) } };
        }
        const n = Number(length);
        out.push({ field, wire, value: bytes.subarray(start, start + n) });
        pos = start + n;
      } else return { fields: undefined };
    }
  } catch {
    // A varint cut by the end of the head: what was read stands when the file goes on.
    return { fields: bytes.length < size ? out : undefined };
  }
  return { fields: out };
}

function fieldsMatch(fields: readonly ProtoField[], schema: Schema): boolean {
  for (const f of fields) {
    if (schema.extensionsFrom !== undefined && f.field >= schema.extensionsFrom) continue;
    if (schema.fields[f.field] !== f.wire) return false;
  }
  return true;
}

/** A nested message (whole, or the prefix of it that the head holds) against its schema. */
function messageMatches(bytes: Uint8Array, length: number, schema: Schema): boolean {
  const { fields } = fieldsOf(bytes, length);
  if (!fields || (fields.length === 0 && length > 0)) return false;
  if (!fieldsMatch(fields, schema)) return false;
  if (schema.check && !schema.check(fields)) return false;
  return bytes.length < length || schema.required.every((r) => fields.some((f) => f.field === r));
}

/**
 * Whether the head of a file (`size` bytes in all) matches `schema`: its top-level fields (those the head holds)
 * are all in the schema, the first nested message named by the schema parses with its own field list, and the
 * required fields are there (when the head holds the whole file) or at least one field was read.
 */
export function headMatches(head: Uint8Array, size: number, schema: Schema): boolean {
  const { fields, partial } = fieldsOf(head, size);
  if (!fields) return false;
  const seen = partial ? [...fields, { field: partial.field, wire: 2 as const, value: partial.bytes }] : fields;
  if (seen.length === 0 || !fieldsMatch(seen, schema)) return false;
  if (schema.check && !schema.check(seen)) return false;
  const whole = head.length >= size;
  if (whole && !schema.required.every((r) => fields.some((f) => f.field === r))) return false;
  if (!schema.nested) return true;
  const nested = schema.nested;
  const first = fields.find((f) => f.field === nested.field && f.wire === 2);
  if (first) return messageMatches(first.value as Uint8Array, (first.value as Uint8Array).length, nested.schema);
  if (partial && partial.field === nested.field) return messageMatches(partial.bytes, partial.length, nested.schema);
  // The nested message is not in the head at all: only a schema that does not require it can match.
  return !schema.required.includes(nested.field);
}

/** Every top-level field of the whole source matches `schema` (wire-valid to the end). Throws FORMAT_INVALID. */
export async function sourceMatches(source: ByteSource, schema: Schema): Promise<boolean> {
  const seen = new Set<number>();
  for await (const f of protoFieldsOfSource(source)) {
    if (!(schema.extensionsFrom !== undefined && f.field >= schema.extensionsFrom) && schema.fields[f.field] !== f.wire)
      return false;
    seen.add(f.field);
  }
  return schema.required.every((r) => seen.has(r));
}
