/**
 * Data formats of ordinary model repositories that cannot name code, each checked in full by its structure
 * (detection only looked at the head): images, SVG/XML, OpenVINO IR, sentencepiece models, msgpack (Flax),
 * TFLite, Parquet, XGBoost UBJSON, TensorBoard events, Core ML models and weights, Paddle programs and parameters,
 * `.DS_Store`, TF checkpoint index and fingerprint, Keras `keras_metadata.pb`, raw tensor data recognised from
 * the manifest beside it, fastText and pre-GGUF ggml models, IDX, MAT-files, SQLite databases, PDF documents,
 * fonts, text, and empty files. What each can do:
 * - nothing, for all of them as data: no loader of these formats imports a module or calls a function named in
 *   the file. An SVG may hold `<script>`, which runs in a browser that renders it, never in an ML loader; a PDF's
 *   JavaScript runs in a PDF viewer, a font's hinting bytecode in a rasteriser, SQL in a database a program opens.
 * - except where the format names operations a runtime executes: TFLite `Flex*` custom ops run TensorFlow ops
 *   (judged like a SavedModel graph, MS-TF-001), Paddle programs may hold file and Python ops (MS-PADDLE-001),
 *   Keras metadata holds layer configs (judged like any Keras config).
 * A file whose structure does not hold to the end is not what it claimed: FORMAT_INVALID, reported incomplete.
 * Bytes after the end of an image are scanned on their own (an archive appended to a picture).
 */

import { ModelsecError } from '../../errors/index.js';
import { protoFields, protoFieldsOfSource, protoString } from '../../formats/protobuf/index.js';
import { sniffArrow, walkArrow } from '../../formats/structures/arrow.js';
import { type AudioFormat, walkAudio } from '../../formats/structures/audio.js';
import {
  checkDsStore,
  checkParquet,
  checkXgboostLegacy,
  readTflite,
  sniffWord2vec,
  walkCoremlWeights,
  walkCtranslate2,
  walkPaddleParams,
  walkTfRecord,
  walkWord2vec,
} from '../../formats/structures/containers.js';
import { checkDataFile, type DataFileFormat } from '../../formats/structures/data-files.js';
import { IMAGE_FORMATS, type ImageFormat, walkImage } from '../../formats/structures/images.js';
import { walkMsgpack, walkUbjson } from '../../formats/structures/msgpack.js';
import {
  COREML_MODEL,
  KERAS_SAVED_METADATA,
  PADDLE_PROGRAM,
  SENTENCEPIECE_MODEL,
  sourceMatches,
  TF_FINGERPRINT,
} from '../../formats/structures/proto-formats.js';
import { isLegacyTextSource, isTextSource } from '../../formats/structures/text.js';
import { readTfBundleIndex } from '../../formats/structures/tf-bundle.js';
import { invalid, Window } from '../../formats/structures/window.js';
import { makeFinding } from '../pickle/findings.js';
import type { DetectedFormat, Finding, FormatHandler, HandlerResult, ScanContext, ScanIssue } from '../types.js';
import { readXml } from '../xml.js';
import { MAX_KERAS_CONFIG_BYTES, scanKerasConfig } from './keras.js';
import { chatTemplateFindings } from './templates.js';
import { DANGEROUS_TF_OPS } from './tf-savedmodel.js';

/** Data files walked to their end by formats/structures/data-files.ts (fastText, ggml, IDX, MAT, SQLite, PDF, fonts). */
const DATA_FILE_FORMATS: readonly DataFileFormat[] = [
  'fasttext',
  'ggml',
  'idx',
  'matlab',
  'matlab-v4',
  'sqlite',
  'pdf',
  'font',
  'gettext-mo',
  'isobmff',
  'ply',
  'stl',
  'glb',
  'netcdf',
  'stata',
];
const AUDIO_FORMATS: readonly AudioFormat[] = ['wav', 'flac', 'ogg', 'mp3'];
/** Largest keras_metadata.pb decoded in memory (real ones are KBs to a few MB). */
export const MAX_KERAS_METADATA_BYTES = 256 * 1024 * 1024;
/** Largest Paddle program decoded in memory (programs are KBs to MBs; weights live in .pdiparams). */
export const MAX_PADDLE_PROGRAM_BYTES = 256 * 1024 * 1024;

/** Paddle ops that read or write files or call back into Python when the program runs. */
const PADDLE_DANGEROUS_OPS: Readonly<Record<string, 'critical' | 'high'>> = {
  py_func: 'critical',
  save: 'high',
  save_combine: 'high',
  load: 'high',
  load_combine: 'high',
};

const clean = (): HandlerResult => ({ findings: [], errors: [] });

function requireMatch(ok: boolean, what: string): void {
  if (!ok) throw invalid(what, 'does not hold to its schema to the end of the file');
}

async function scanMedia(
  format: ImageFormat | AudioFormat,
  ctx: ScanContext,
  w: Window,
  kind: 'image' | 'audio',
): Promise<HandlerResult> {
  const end = kind === 'image' ? await walkImage(w, format as ImageFormat) : await walkAudio(w, format as AudioFormat);
  return scanTrailing(ctx, w, end, `${format} ${kind}`);
}

/** Bytes after where a format ends are scanned on their own (zero padding aside). */
async function scanTrailing(ctx: ScanContext, w: Window, end: number, what: string): Promise<HandlerResult> {
  if (end >= w.size) return clean();
  const trailing = await w.source.read(end, w.size - end);
  if (trailing.every((b) => b === 0)) return clean(); // padding written by some encoders
  const nested = await ctx.scanNested(trailing, `(${w.size - end} bytes after the ${what})`);
  return { findings: nested.findings, errors: nested.errors };
}

/** A protocol 2-5 pickle opens with PROTO (0x80) and its protocol byte. */
function opensLikePickle(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x80 && (data[1] as number) >= 2 && (data[1] as number) <= 5;
}

/**
 * A TFRecord dataset (`tf.data.TFRecordDataset`, TFDS shards): every record's framing and CRCs are checked, and its
 * bytes are data to `tf.data` (tf.train.Example protos, encoded images, text). Pipelines that store pickled objects
 * in records do exist (a reader calling `pickle.loads(record)`): a record that opens like a pickle is scanned as one.
 */
async function scanTfRecord(ctx: ScanContext, w: Window): Promise<HandlerResult> {
  const findings: Finding[] = [];
  const errors: ScanIssue[] = [];
  await walkTfRecord(w, async (data, index) => {
    if (!opensLikePickle(data)) return;
    const nested = await ctx.scanNested(data, `(record ${index})`);
    findings.push(...nested.findings);
    errors.push(...nested.errors);
  });
  return { findings, errors };
}

/** pyarrow's pickled extension type: its `ARROW:extension:metadata` is `pickle.dumps` of the type (CVE-2023-47248). */
const PY_EXTENSION_TYPE = 'arrow.py_extension_type';

/**
 * An Arrow IPC file or stream (`datasets` shards, Feather v2): record batches are data; every metadata value that
 * is a pickled pyarrow extension type, or opens like a pickle, is scanned as the pickle a reader would load.
 */
async function scanArrow(ctx: ScanContext, w: Window): Promise<HandlerResult> {
  const head = await w.source.read(0, Math.min(w.size, 16));
  const format = sniffArrow(head, w.size);
  if (!format) throw invalid('arrow', 'neither the file nor the stream format');
  const reading = await walkArrow(w, format);
  const findings: Finding[] = [];
  const errors: ScanIssue[] = [];
  for (const kv of reading.metadata) {
    const pickled =
      (kv.key === 'ARROW:extension:metadata' && kv.extensionName === PY_EXTENSION_TYPE) || opensLikePickle(kv.value);
    if (!pickled) continue;
    const nested = await ctx.scanNested(kv.value, `(${kv.where} ${kv.key})`);
    findings.push(...nested.findings);
    errors.push(...nested.errors);
  }
  return { findings, errors };
}

async function scanTflite(ctx: ScanContext, w: Window): Promise<HandlerResult> {
  const { customCodes } = await readTflite(w);
  const findings: Finding[] = [];
  for (const code of [...new Set(customCodes)].sort()) {
    const op = code.startsWith('Flex') ? code.slice(4) : undefined;
    const severity = op === undefined ? undefined : DANGEROUS_TF_OPS[op];
    if (op === undefined || severity === undefined) continue;
    findings.push(
      makeFinding(
        'MS-TF-001',
        `TFLite model runs the TensorFlow ${op} op (custom op ${code})`,
        { members: [...ctx.members], path: code },
        { op, customCode: code },
        severity,
      ),
    );
  }
  return { findings, errors: [] };
}

async function scanKerasMetadata(ctx: ScanContext, w: Window): Promise<HandlerResult> {
  requireMatch(await sourceMatches(w.source, KERAS_SAVED_METADATA), 'keras_metadata');
  if (w.size > MAX_KERAS_METADATA_BYTES)
    return {
      findings: [
        makeFinding(
          'MS-ENG-002',
          'keras_metadata.pb larger than MAX_KERAS_METADATA_BYTES was not judged',
          { members: [...ctx.members] },
          {
            limit: 'MAX_KERAS_METADATA_BYTES',
          },
        ),
      ],
      errors: [],
    };
  const findings: Finding[] = [];
  const errors: ScanIssue[] = [];
  const bytes = await w.source.read(0, w.size);
  let node = 0;
  for (const f of protoFields(bytes)) {
    if (f.field !== 1 || f.wire !== 2) continue;
    node++;
    for (const g of protoFields(f.value)) {
      if (g.field !== 5 || g.wire !== 2 || g.value.length === 0) continue;
      const members = [...ctx.members, `node ${node - 1} metadata`];
      if (g.value.length > MAX_KERAS_CONFIG_BYTES) {
        findings.push(makeFinding('MS-ENG-002', 'Keras layer metadata larger than MAX_KERAS_CONFIG_BYTES', { members }));
        continue;
      }
      let config: unknown;
      try {
        config = JSON.parse(protoString(g.value));
      } catch {
        findings.push(makeFinding('MS-ENG-002', 'Keras layer metadata is not JSON', { members }));
        continue;
      }
      const judged = await scanKerasConfig(config, members, ctx, `node ${node - 1} metadata`);
      findings.push(...judged.findings);
      errors.push(...judged.errors);
    }
  }
  return { findings, errors };
}

async function scanPaddleProgram(ctx: ScanContext, w: Window): Promise<HandlerResult> {
  requireMatch(await sourceMatches(w.source, PADDLE_PROGRAM), 'paddle');
  if (w.size > MAX_PADDLE_PROGRAM_BYTES)
    return {
      findings: [
        makeFinding(
          'MS-ENG-002',
          'Paddle program larger than MAX_PADDLE_PROGRAM_BYTES was not judged',
          { members: [...ctx.members] },
          {
            limit: 'MAX_PADDLE_PROGRAM_BYTES',
          },
        ),
      ],
      errors: [],
    };
  const ops = new Set<string>();
  for await (const block of protoFieldsOfSource(w.source)) {
    if (block.field !== 1 || block.wire !== 2) continue;
    for (const f of protoFields(await block.read())) {
      if (f.field !== 4 || f.wire !== 2) continue; // BlockDesc.ops
      for (const g of protoFields(f.value)) if (g.field === 3 && g.wire === 2) ops.add(protoString(g.value)); // OpDesc.type
    }
  }
  const findings: Finding[] = [];
  for (const op of [...ops].sort()) {
    const severity = PADDLE_DANGEROUS_OPS[op];
    if (severity)
      findings.push(
        makeFinding(
          'MS-PADDLE-001',
          `Paddle program runs the ${op} op`,
          { members: [...ctx.members], path: op },
          { op },
          severity,
        ),
      );
  }
  return { findings, errors: [] };
}

/**
 * Largest YAML document parsed for a chat_template (configs are KBs); a larger one that may hold one is incomplete.
 * The yaml library costs about 8 µs per byte on crafted text (`a: a: a: ...`), so this bounds one file to seconds.
 */
export const MAX_YAML_TEMPLATE_BYTES = 512 * 1024;
/**
 * Largest YAML parsed when only a double-quoted escape spells the key (`"chat\x5ftemplate"`): the yaml library is
 * super-linear on text dense in `\u` escapes, so such a file above this is incomplete rather than slow.
 */
export const MAX_ESCAPED_YAML_TEMPLATE_BYTES = 64 * 1024;

/**
 * Text that may spell a top-level `chat_template` key as PyYAML reads it: the name itself (plain, quoted, flow,
 * explicit `? `, or merged in through `<<: *anchor` from a mapping that names it). A line-anchored
 * `chat_template:` test missed every form but the first.
 */
const MAY_NAME_CHAT_TEMPLATE = /chat_template/;
/**
 * Whether `text` names chat_template once backslash escapes are decoded as YAML decodes them in double-quoted
 * scalars (`\xHH`, `\uHHHH`, `\UHHHHHHHH`, a backslash before a line break joining the lines, `\c` for other
 * characters): `"chat\x5ftemplate"` is the key to PyYAML. Decoded over the whole text (one linear pass, no search
 * for scalar boundaries that could backtrack); a text that only looks escaped somewhere else is then parsed and
 * judged by what it holds.
 */
function escapedKeyNamesChatTemplate(text: string): boolean {
  const decoded = text.replace(
    /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|\r?\n[ \t]*|([\s\S]))/g,
    (_m, x?: string, u?: string, U?: string, c?: string) => {
      const hex = x ?? u ?? U;
      if (hex === undefined) return c ?? '';
      const code = Number.parseInt(hex, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '';
    },
  );
  return MAY_NAME_CHAT_TEMPLATE.test(decoded);
}

/**
 * A line that opens a `chat_template` mapping key (plain, quoted, explicit or in a flow mapping): text that does
 * and does not parse as YAML is reported as not judged; prose that only mentions the name (a README) is data.
 */
const OPENS_CHAT_TEMPLATE_KEY = /^[ \t]*(?:\?[ \t]*|\{[ \t]*)?["']?chat_template["']?[ \t]*(?::|$)/m;

/**
 * YAML configs that carry a `chat_template` at their top level (serving configs, training recipes) hold a Jinja
 * template like tokenizer_config.json does: it is judged (a string, or a list of named templates). The YAML is
 * parsed as PyYAML's `safe_load` reads it (YAML 1.1, merge keys, aliases bounded, the last of duplicate keys) when
 * the text may name that key (MAY_NAME_CHAT_TEMPLATE); other text is data. Text that is not YAML and does not hold
 * a line opening that key is data too (prose naming it, a backslash escape).
 */
async function yamlChatTemplate(ctx: ScanContext, w: Window): Promise<HandlerResult> {
  if (w.size > MAX_YAML_TEMPLATE_BYTES) {
    const decoder = new TextDecoder();
    // Chunks overlap so a name cut at a chunk boundary is still seen.
    const overlap = 64;
    for (let pos = 0; pos < w.size; pos += 1024 * 1024) {
      const chunk = decoder.decode(await w.source.read(Math.max(0, pos - overlap), 1024 * 1024 + (pos > 0 ? overlap : 0)));
      if (MAY_NAME_CHAT_TEMPLATE.test(chunk))
        return {
          findings: [
            makeFinding(
              'MS-TPL-002',
              `text of ${w.size} bytes (above MAX_YAML_TEMPLATE_BYTES) may hold a YAML chat_template, which was not judged`,
              { members: [...ctx.members] },
              { limit: 'MAX_YAML_TEMPLATE_BYTES' },
            ),
          ],
          errors: [],
        };
    }
    return clean();
  }
  const text = new TextDecoder().decode(await w.source.read(0, w.size));
  const named = MAY_NAME_CHAT_TEMPLATE.test(text);
  if (!named) {
    if (!text.includes('\\') || !escapedKeyNamesChatTemplate(text)) return clean();
    if (w.size > MAX_ESCAPED_YAML_TEMPLATE_BYTES)
      return {
        findings: [
          makeFinding(
            'MS-TPL-002',
            `YAML of ${w.size} bytes (above MAX_ESCAPED_YAML_TEMPLATE_BYTES) spells chat_template with escapes; it was not judged`,
            { members: [...ctx.members] },
            { limit: 'MAX_ESCAPED_YAML_TEMPLATE_BYTES' },
          ),
        ],
        errors: [],
      };
  }
  let doc: unknown;
  try {
    const { parse: parseYaml } = await import('yaml'); // loaded only for YAML that may hold a chat_template
    doc = parseYaml(text, { version: '1.1', merge: true, maxAliasCount: 100, uniqueKeys: false });
  } catch {
    // Spelled only through escapes, the key is not prose: a parse failure is not judged, never clean.
    if (named && !OPENS_CHAT_TEMPLATE_KEY.test(text)) return clean();
    return {
      findings: [makeFinding('MS-TPL-002', 'YAML holding a chat_template could not be parsed', { members: [...ctx.members] })],
      errors: [],
    };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return clean();
  const template = (doc as Record<string, unknown>).chat_template;
  if (typeof template !== 'string' && !Array.isArray(template)) return clean();
  return { findings: chatTemplateFindings(template, ctx), errors: [] };
}

async function scanData(format: DetectedFormat, ctx: ScanContext, w: Window): Promise<HandlerResult> {
  if ((IMAGE_FORMATS as readonly string[]).includes(format)) return scanMedia(format as ImageFormat, ctx, w, 'image');
  if ((AUDIO_FORMATS as readonly string[]).includes(format)) return scanMedia(format as AudioFormat, ctx, w, 'audio');
  if ((DATA_FILE_FORMATS as readonly string[]).includes(format))
    return scanTrailing(ctx, w, await checkDataFile(w, format as DataFileFormat), format);
  switch (format) {
    case 'empty':
    case 'onnx-external-data':
    case 'openvino-weights':
    case 'tf-variables-data':
    case 'mlc-params':
    case 'tfjs-weights':
      // Raw tensor bytes whose size the manifest beside them accounts for (scan/companions.ts).
      return clean();
    case 'svg':
    case 'openvino-ir':
      await readXml(w.source);
      return clean();
    case 'xml':
      // Text that opens like an element but is not a well-formed document (sentencepiece `.vocab` lists: `<unk>\t0`,
      // `<s>\t0`...) is no XML any loader reads: it is text, judged as text. SVG and OpenVINO IR stay strict.
      try {
        await readXml(w.source);
      } catch (error) {
        if (error instanceof ModelsecError && error.code === 'FORMAT_INVALID' && (await isTextSource(w.source)))
          return yamlChatTemplate(ctx, w);
        throw error;
      }
      return clean();
    case 'sentencepiece':
      requireMatch(await sourceMatches(w.source, SENTENCEPIECE_MODEL), 'sentencepiece');
      return clean();
    case 'msgpack':
      // A map/array opening byte is also a Shift-JIS or Latin-1 letter (0x82, 0x93...): a file that is no msgpack
      // document but text throughout is text, judged as text.
      try {
        await walkMsgpack(w);
      } catch (error) {
        if (error instanceof ModelsecError && error.code === 'FORMAT_INVALID' && (await isLegacyTextSource(w.source)))
          return { ...(await yamlChatTemplate(ctx, w)), format: 'text' };
        throw error;
      }
      return clean();
    case 'xgboost-ubj':
      await walkUbjson(w);
      return clean();
    case 'tflite':
      return scanTflite(ctx, w);
    case 'parquet':
      await checkParquet(w);
      return clean();
    case 'tensorboard-events':
      await walkTfRecord(w);
      return clean();
    case 'tfrecord':
      return scanTfRecord(ctx, w);
    case 'arrow':
      return scanArrow(ctx, w);
    case 'coreml':
      requireMatch(await sourceMatches(w.source, COREML_MODEL), 'coreml');
      return clean();
    case 'coreml-weights':
      await walkCoremlWeights(w);
      return clean();
    case 'paddle':
      return scanPaddleProgram(ctx, w);
    case 'paddle-params':
      await walkPaddleParams(w);
      return clean();
    case 'ds-store':
      await checkDsStore(w);
      return clean();
    case 'tf-variables-index':
      await readTfBundleIndex(w);
      return clean();
    case 'tf-fingerprint':
      requireMatch(await sourceMatches(w.source, TF_FINGERPRINT), 'tf-fingerprint');
      return clean();
    case 'keras-metadata':
      return scanKerasMetadata(ctx, w);
    case 'ctranslate2':
      await walkCtranslate2(w);
      return clean();
    case 'word2vec': {
      const header = sniffWord2vec(await w.bytes(0, Math.min(64, w.size)));
      if (!header) throw invalid('word2vec', 'no `count dim` header');
      await walkWord2vec(w, header);
      return clean();
    }
    case 'xgboost-legacy':
      await checkXgboostLegacy(w);
      return clean();
    case 'text':
      if ((await isTextSource(w.source)) || (await isLegacyTextSource(w.source))) return yamlChatTemplate(ctx, w);
      return {
        findings: [
          makeFinding(
            'MS-ENG-001',
            'opens as text but holds binary data: content was not inspected',
            { members: [...ctx.members] },
            {
              format: 'text',
            },
          ),
        ],
        errors: [],
        format: 'unknown',
      };
    default:
      throw invalid(format, 'no structural check for this format');
  }
}

/** One handler for every data format above; the format detection chose is passed through the context's name. */
function dataHandler(format: DetectedFormat): FormatHandler {
  return {
    formats: [format],
    scan: (source, ctx) => scanData(format, ctx, new Window(source, format)),
  };
}

export const DATA_FORMATS: readonly DetectedFormat[] = [
  'empty',
  ...IMAGE_FORMATS,
  ...AUDIO_FORMATS,
  ...DATA_FILE_FORMATS,
  'svg',
  'xml',
  'openvino-ir',
  'sentencepiece',
  'msgpack',
  'tflite',
  'parquet',
  'xgboost-ubj',
  'tensorboard-events',
  'tfrecord',
  'arrow',
  'coreml',
  'coreml-weights',
  'paddle',
  'paddle-params',
  'ds-store',
  'tf-variables-index',
  'tf-fingerprint',
  'keras-metadata',
  'onnx-external-data',
  'openvino-weights',
  'tf-variables-data',
  'mlc-params',
  'tfjs-weights',
  'ctranslate2',
  'word2vec',
  'xgboost-legacy',
  'text',
];

export const DATA_FORMAT_HANDLERS: readonly FormatHandler[] = DATA_FORMATS.map(dataHandler);
