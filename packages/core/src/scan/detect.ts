/**
 * Format detection by content (magic bytes AND structure), never by extension alone. Detection chooses the
 * handler that reads a file the way its loader does; it is not a gate: the engine reads every file as a pickle
 * too (a stream CPython rejects before any opcode with an effect is inert), so recognising a format never lets
 * a file skip the pickle VM.
 *
 * The file's name (hints.name) is used only where the loader itself goes by name and the content is text:
 * `.py` sources (imported by `trust_remote_code`), shell scripts, `.jinja` chat templates. A name never makes a
 * file less inspected than its content. hints.companion (scan/companions.ts: a manifest beside the file says it
 * is raw tensor data of that size) recognises headerless weight blobs, and only when no content reading applies.
 */
import { inflateSync, constants as zlibConstants } from 'node:zlib';
import { decompressBounded } from '../compression/index.js';
import type { ByteSource } from '../formats/byte-source.js';
import { isGguf } from '../formats/gguf/index.js';
import { looksLikeOnnxModel } from '../formats/onnx/index.js';
import { sniffArrow } from '../formats/structures/arrow.js';
import { sniffAudio } from '../formats/structures/audio.js';
import {
  sniffCoremlWeights,
  sniffCtranslate2,
  sniffDsStore,
  sniffPaddleParams,
  sniffParquet,
  sniffTensorboardEvents,
  sniffTflite,
  sniffTfRecord,
  sniffWord2vec,
  sniffXgboostLegacy,
} from '../formats/structures/containers.js';
import { sniffDataFile, sniffMatlabV4 } from '../formats/structures/data-files.js';
import { sniffExecutable } from '../formats/structures/executables.js';
import { sniffImage } from '../formats/structures/images.js';
import { JsonScanner } from '../formats/structures/json-scan.js';
import {
  COREML_MODEL,
  headMatches,
  KERAS_SAVED_METADATA,
  PADDLE_PROGRAM,
  SENTENCEPIECE_MODEL,
  TF_FINGERPRINT,
  TF_GRAPH_DEF,
  TF_META_GRAPH_FILE,
  TF_SAVED_MODEL,
} from '../formats/structures/proto-formats.js';
import { isLegacyTextHead, isTextHead } from '../formats/structures/text.js';
import { sniffTfIndex } from '../formats/structures/tf-bundle.js';
import { readZipEntries, readZipEntry, zipfileOpens } from '../formats/zip/index.js';
import { joblibCodec } from './handlers/joblib-codec.js';
import { classifyGlobal } from './pickle/globals.js';
import { looksLikePickle } from './pickle/looks-like-pickle.js';
import { runPickle } from './pickle/vm.js';
import { isTarHeader, listTar } from './tar-listing.js';
import type { DetectedFormat, DetectHints } from './types.js';
import { xmlRootName } from './xml.js';

/** Bytes read from the start of a file to detect its format. */
export const DETECT_HEAD_BYTES = 64 * 1024;
/** Largest Keras `config.json` read from a zip to tell a Keras archive (real ones are KBs to a few MB). */
const MAX_DETECT_KERAS_CONFIG_BYTES = 64 * 1024 * 1024;

/** torch.save legacy files start with a pickle of the magic number 0x1950a86a20f9469cfc6c (LONG1, 10 bytes). */
const TORCH_LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** bzip2: "BZh" + block size 1-9, then a block (pi) or end-of-stream (sqrt pi) magic. */
const BZIP2_BLOCK = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZIP2_EOS = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  return head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);
}

/** Classifies a zip by its member names (torch archives; a Keras archive is told by its config, see detectZip). */
export function classifyZipMembers(names: readonly string[]): DetectedFormat {
  if (names.some((n) => /(^|\/)code\//.test(n)) && names.some((n) => /(^|\/)constants\.pkl$/.test(n))) return 'torchscript';
  if (names.some((n) => /^[^/]+\/data\.pkl$/.test(n) || n === 'data.pkl')) return 'pytorch-zip';
  const files = names.filter((n) => !n.endsWith('/'));
  if (files.length > 0 && files.every((n) => n.endsWith('.npy'))) return 'numpy-npz';
  return 'zip';
}

/** A serialised Keras object: what `keras.saving` writes as config.json and reads back (class_name + config). */
export function isKerasConfigObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.class_name === 'string' && typeof v.config === 'object' && v.config !== null;
}

/**
 * A zip is a Keras archive when its root `config.json` is a serialised Keras object: that file is all
 * `keras.saving.load_model` needs (metadata.json and model.weights.h5 are optional), so a `.keras` without them
 * is still recognised and its config judged.
 */
async function detectZip(source: ByteSource): Promise<DetectedFormat> {
  let listing: Awaited<ReturnType<typeof readZipEntries>>;
  try {
    listing = await readZipEntries(source);
  } catch {
    return 'zip';
  }
  const entry = listing.entries.find((e) => e.name === 'config.json');
  if (entry && entry.uncompressedSize <= MAX_DETECT_KERAS_CONFIG_BYTES) {
    try {
      const { bytes } = await readZipEntry(source, entry, {
        maxBytes: MAX_DETECT_KERAS_CONFIG_BYTES,
        decompress: decompressBounded,
      });
      if (isKerasConfigObject(JSON.parse(new TextDecoder().decode(bytes)))) return 'keras';
    } catch {
      // not a readable Keras config: classified by its members
    }
  }
  return classifyZipMembers(listing.entries.map((e) => e.name));
}

/**
 * safetensors as the reference loader reads it: an 8-byte little-endian header length N with 8 + N within the
 * file, then a header that opens as a JSON object. A JSON or text file never qualifies: its first 8 bytes read as
 * a length far beyond its size.
 */
function isSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length < 10 || head[8] !== 0x7b) return false;
  const length = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (length < 2n || 8n + length > BigInt(size)) return false;
  return [0x22, 0x7d, 0x20, 0x0a, 0x0d, 0x09].includes(head[9] as number);
}

/** bzip2 and xz as their decompressors accept them (a magic alone is three letters of text). */
function isCompressedStream(head: Uint8Array): boolean {
  if (startsWith(head, [0x42, 0x5a, 0x68]) && (head[3] as number) >= 0x31 && (head[3] as number) <= 0x39)
    return startsWith(head, BZIP2_BLOCK, 4) || startsWith(head, BZIP2_EOS, 4);
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return true;
  return false;
}

/** Bytes a zlib header is test-inflated over (its first deflate blocks decide; random data fails within bytes). */
const ZLIB_PROBE_BYTES = 4096;

/** A zlib header (`x` + check byte) whose first deflate blocks really inflate: a text starting `x^` does not. */
function inflatesAsZlib(head: Uint8Array): boolean {
  try {
    inflateSync(head.subarray(0, ZLIB_PROBE_BYTES), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 });
    return true;
  } catch (error) {
    return error instanceof RangeError; // more output than the probe allows: it inflates
  }
}

/** A binary (protocol 2+) pickle or legacy torch file: what the pickle handlers read. */
function binaryPickleFormat(head: Uint8Array): DetectedFormat | undefined {
  if (head[0] !== 0x80) return undefined;
  if (startsWith(head, TORCH_LEGACY_MAGIC, 2)) return 'pytorch-legacy';
  return looksLikePickle(head) ? 'pickle' : undefined;
}

const PYTHON_NAME = /\.pyw?$/i;
const SHELL_NAME = /\.(sh|bash|zsh|ksh)$/i;
/** Template files by name: transformers' chat_template.jinja and the .j2/.template/.tmpl names of other stacks. */
const JINJA_NAME = /\.(jinja2?|j2|template|tmpl)$/i;
const NOTEBOOK_NAME = /\.ipynb$/i;

function basename(name: string | undefined): string {
  if (!name) return '';
  const slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  return name.slice(slash + 1);
}

/** The interpreter a `#!` line names, if any (`#!/usr/bin/env python3` -> python3). */
function shebang(text: string): string | undefined {
  if (!text.startsWith('#!')) return undefined;
  const line = text.slice(2, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).trim();
  const words = line.split(/\s+/);
  const first = words[0] ?? '';
  const program = first.endsWith('/env') ? (words.find((w, i) => i > 0 && !w.startsWith('-')) ?? '') : first;
  return program.slice(program.lastIndexOf('/') + 1);
}

/** Whether the pickle VM, run on text, reaches STOP, calls something or imports a dangerous global. */
function textPickleEffect(head: Uint8Array): boolean {
  if (
    !looksLikePickle(head) &&
    !/^\(?c[^\n]{1,200}\n[^\n]{1,200}\n/.test(new TextDecoder('latin1').decode(head.subarray(0, 512)))
  )
    return false;
  const run = runPickle(head, 0);
  if (run.stopped && !run.error) return true;
  return run.events.some(
    (e) => e.type === 'call' || (e.type === 'global' && classifyGlobal(e.module, e.name).verdict === 'dangerous'),
  );
}

/** What a text file is: a complete protocol 0/1 pickle, code, a template, XML, JSON, or plain text. */
function detectText(head: Uint8Array, size: number, hints: DetectHints): DetectedFormat {
  const complete = head.length >= size;
  // A text file is also read by the pickle handler when CPython's VM, run on it, reaches STOP, calls something, or
  // imports a dangerous global before the stream breaks (`cbuiltins\nexec\n(X...`). Text the VM rejects before
  // any such effect (`torch==2.3.1`, class labels `cat\ndog\n`) is text; the engine reads every file as a pickle
  // too, so this only picks the handler.
  if (textPickleEffect(head)) return 'pickle';
  const text = new TextDecoder('utf-8').decode(head);
  const name = basename(hints.name);
  const interpreter = shebang(text);
  if (PYTHON_NAME.test(name) || (interpreter !== undefined && /^python[0-9.]*$/.test(interpreter))) return 'python';
  if (SHELL_NAME.test(name) || (interpreter !== undefined && /^(ba|z|da|k|a)?sh$/.test(interpreter))) return 'shell';
  if (JINJA_NAME.test(name)) return 'jinja';
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<')) {
    const root = xmlRootName(trimmed);
    if (root === 'svg') return 'svg';
    if (root === 'net') return 'openvino-ir';
    if (root !== undefined) return 'xml';
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const scanner = new JsonScanner();
    scanner.feed(trimmed);
    const result = scanner.result();
    if (result.ok && (!complete || result.complete)) return NOTEBOOK_NAME.test(name) ? 'notebook' : 'json';
    // Deeper than the checker follows: still JSON to a loader, so the JSON handler reports it as not judged.
    if (result.error?.includes('MAX_JSON_SCAN_DEPTH')) return 'json';
  }
  return 'text';
}

/** Protobuf formats whose loaders run what they name (ONNX external data and custom ops, TF graph ops). */
async function detectExecutableProtobuf(source: ByteSource, head: Uint8Array): Promise<DetectedFormat | undefined> {
  if (await looksLikeOnnxModel(source)) return 'onnx';
  if (headMatches(head, source.size, TF_SAVED_MODEL)) return 'tf-savedmodel';
  if (headMatches(head, source.size, TF_GRAPH_DEF)) return 'tf-savedmodel';
  if (headMatches(head, source.size, TF_META_GRAPH_FILE)) return 'tf-metagraph';
  return undefined;
}

/** Protobuf data formats, each by its schema. */
function detectDataProtobuf(head: Uint8Array, size: number): DetectedFormat | undefined {
  if (headMatches(head, size, KERAS_SAVED_METADATA)) return 'keras-metadata';
  if (headMatches(head, size, SENTENCEPIECE_MODEL)) return 'sentencepiece';
  if (headMatches(head, size, PADDLE_PROGRAM)) return 'paddle';
  if (headMatches(head, size, COREML_MODEL)) return 'coreml';
  if (headMatches(head, size, TF_FINGERPRINT)) return 'tf-fingerprint';
  return undefined;
}

/** msgpack opening with a map keyed by a string (Flax state dicts) or with an array, UBJSON opening with an object. */
function serialFormat(head: Uint8Array): DetectedFormat | undefined {
  const b0 = head[0] as number;
  const b1 = head[1] as number;
  const mapStart = (b0 >= 0x81 && b0 <= 0x8f) || b0 === 0xde || b0 === 0xdf;
  if (mapStart) {
    const keyAt = b0 === 0xde ? 3 : b0 === 0xdf ? 5 : 1;
    const k = head[keyAt] as number;
    // Keys: strings (Flax, spaCy), integers (spaCy's key2row), binaries; the handler walks the whole document.
    if (
      k <= 0x7f ||
      k >= 0xe0 ||
      (k >= 0xa0 && k <= 0xbf) ||
      (k >= 0xc4 && k <= 0xc6) ||
      (k >= 0xcc && k <= 0xd3) ||
      (k >= 0xd9 && k <= 0xdb)
    )
      return 'msgpack';
  }
  // A document that is an array (a list of states, Flax/optax tuples serialized alone): the handler walks it whole
  // and accepts it only when it is one complete msgpack value.
  if ((b0 >= 0x91 && b0 <= 0x9f) || b0 === 0xdc || b0 === 0xdd) return 'msgpack';
  // UBJSON: '{' then a key length ('i','U','I','l','L'), or an optimised container ('$' type or '#' count).
  if (b0 === 0x7b && [0x69, 0x55, 0x49, 0x6c, 0x4c, 0x24, 0x23, 0x7d].includes(b1)) return 'xgboost-ubj';
  return undefined;
}

/** Detects the format of a file or member from its bytes (hints: its name, companion data; see DetectHints). */
export async function detectFormat(source: ByteSource, hints: DetectHints = {}): Promise<DetectedFormat> {
  if (source.size === 0) return 'empty';
  const head = await source.read(0, DETECT_HEAD_BYTES);
  if (head.length === 0) return 'empty';
  // Containers and magic-numbered model formats.
  if (isGguf(head)) return 'gguf';
  if (startsWith(head, HDF5_SIGNATURE)) return 'hdf5';
  if (startsWith(head, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'numpy';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return detectZip(source);
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7z';
  if (startsWith(head, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07])) return 'rar';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  // A tar as tarfile opens it: a first block whose checksum fits (ustar, GNU and magic-less v7 headers alike).
  if (isTarHeader(head)) {
    const names = (await listTar(source)).map((m) => m.name);
    return names.includes('sys_info') || (names.includes('pickle') && names.includes('storages')) ? 'pytorch-tar' : 'tar';
  }
  // zipfile opens a zip behind prepended bytes (it reads from the end): such a file is read as the zip it also is.
  // Exceptions whose own handler reads the whole file and scans what it holds or what follows it: an image (the
  // bytes after its end are a nested file) and a tar (a zip member's end record is what zipfile would find).
  if (!sniffImage(head) && (await zipfileOpens(source)))
    return classifyZipMembers((await readZipEntries(source, { centralOnly: true })).entries.map((e) => e.name));

  if (isSafetensors(head, source.size)) return 'safetensors';
  const binaryPickle = binaryPickleFormat(head);
  if (binaryPickle) return binaryPickle;
  // bz2 / xz / lzma / zlib streams: the joblib handler decompresses them (bounded) and scans the pickle inside.
  if (isCompressedStream(head)) return 'joblib';
  const codec = joblibCodec(head);
  const text = isTextHead(head, head.length < source.size);
  if (!text && (codec === 'zlib' ? inflatesAsZlib(head) : codec !== 'none' && codec !== 'bz2' && codec !== 'xz')) return 'joblib';
  // Data formats told by their own headers.
  const image = sniffImage(head);
  if (image) return image;
  const audio = sniffAudio(head);
  if (audio) return audio;
  if (sniffParquet(head)) return 'parquet';
  if (sniffTflite(head)) return 'tflite';
  if (sniffDsStore(head)) return 'ds-store';
  if (sniffTensorboardEvents(head, source.size)) return 'tensorboard-events';
  if (sniffTfRecord(head, source.size)) return 'tfrecord';
  if (sniffArrow(head, source.size)) return 'arrow';
  if (sniffCoremlWeights(head)) return 'coreml-weights';
  if (sniffXgboostLegacy(head)) return 'xgboost-legacy';
  if (sniffWord2vec(head) && !text) return 'word2vec';
  // Compiled code and data files with binary headers (a PDF or font that reads as text is text to every loader).
  const executable = sniffExecutable(head);
  if (executable && !text) return executable;
  const dataFile = sniffDataFile(head, source.size);
  if (dataFile && !text) return dataFile;
  if (text) return detectText(head, source.size, hints);
  // A protocol 0/1 pickle holding binary operands (BININT, SHORT_BINSTRING...).
  if (looksLikePickle(head)) return 'pickle';
  const protobuf = await detectExecutableProtobuf(source, head);
  if (protobuf) return protobuf;
  // Raw tensor data, recognised from a manifest beside it that accounts for its exact size: no data reading below
  // (which could only call it another data format) overrides what the manifest says.
  if (hints.companion) return hints.companion;
  if (sniffMatlabV4(head, source.size)) return 'matlab-v4';
  const data = detectDataProtobuf(head, source.size);
  if (data) return data;
  if (source.size >= 48 && sniffTfIndex(await source.read(source.size - 8, 8))) return 'tf-variables-index';
  const serial = serialFormat(head);
  if (serial) return serial;
  if (sniffPaddleParams(head)) return 'paddle-params';
  if (sniffCtranslate2(head)) return 'ctranslate2';
  // HDF5 behind a user block (MATLAB v7.3 MAT-files, h5py's userblock_size): the library looks for the signature
  // at 0, 512, 1024, 2048... and so does this; h5wasm (the HDF5 library) then opens the file as h5py would.
  for (let at = 512; at + HDF5_SIGNATURE.length <= source.size; at *= 2)
    if (startsWith(at + 8 <= head.length ? head.subarray(at) : await source.read(at, 8), HDF5_SIGNATURE)) return 'hdf5';
  // Last: text in Latin-1, Windows-125x, a CJK encoding or UTF-16 (no binary format above claimed it).
  if (isLegacyTextHead(head, head.length < source.size)) return 'text';
  return 'unknown';
}
