/**
 * Format detection by content (magic bytes and structure), never by file extension.
 */
import type { ByteSource } from '../formats/byte-source.js';
import { isGguf } from '../formats/gguf/index.js';
import { looksLikeOnnx, parseOnnxModel } from '../formats/onnx/index.js';
import { readZipEntries, zipfileOpens } from '../formats/zip/index.js';
import { joblibCodec } from './handlers/joblib.js';
import { findTfOps } from './handlers/tf-savedmodel.js';
import { looksLikePickle } from './pickle/looks-like-pickle.js';
import { isTarHeader, listTar } from './tar-listing.js';
import type { DetectedFormat, DetectHints } from './types.js';

/** Bytes read from the start of a file to detect its format. */
export const DETECT_HEAD_BYTES = 64 * 1024;

/** torch.save legacy files start with a pickle of the magic number 0x1950a86a20f9469cfc6c (LONG1, 10 bytes). */
const TORCH_LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  return bytes.every((b, i) => head[at + i] === b);
}

/** Classifies a zip by its member names. */
export function classifyZipMembers(names: readonly string[]): DetectedFormat {
  if (names.some((n) => /(^|\/)code\//.test(n)) && names.some((n) => /(^|\/)constants\.pkl$/.test(n))) return 'torchscript';
  if (names.some((n) => /^[^/]+\/data\.pkl$/.test(n) || n === 'data.pkl')) return 'pytorch-zip';
  if (names.includes('config.json') && (names.includes('metadata.json') || names.includes('model.weights.h5'))) return 'keras';
  const files = names.filter((n) => !n.endsWith('/'));
  if (files.length > 0 && files.every((n) => n.endsWith('.npy'))) return 'numpy-npz';
  return 'zip';
}

/** A tar as tarfile opens it: a first block whose checksum fits (ustar, GNU and magic-less v7 headers alike). */
function isTar(head: Uint8Array): boolean {
  return isTarHeader(head);
}

function isText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(
      head.length === DETECT_HEAD_BYTES ? head.subarray(0, head.length - 4) : head,
    );
  } catch {
    return false;
  }
  // Control bytes other than tab, newlines, form feed and ESC mean binary (protobuf, packed data), not text.
  return !head.some((b) => b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b));
}

/** safetensors: 8-byte little-endian header length, then a JSON object (`{`, possibly after spaces). */
function isSafetensors(head: Uint8Array, _size: number): boolean {
  if (head.length < 10 || head[8] !== 0x7b) return false;
  const len = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return len >= 2n && (head[9] === 0x22 || head[9] === 0x7d || head[9] === 0x20 || head[9] === 0x0a);
}

/** A TOML table header line: `[project]`, `[[tool.mypy.overrides]]`, `["quoted key"]`, then an optional comment. */
const TOML_TABLE_HEADER = /^\[\[?[^[\]\r\n]+\]\]?[ \t]*(#.*)?$/;
/** A TOML `key = value` line (bare, dotted or quoted key). */
const TOML_KEY_VALUE = /^[ \t]*[\w.\-"' ]+[ \t]*=/m;
/** How a JSON document opens: after any run of `[`, an object on a key or `}`, a string, number, literal or `]`. */
const JSON_START = /^(\[\s*)*(\{\s*["}]|["\-\d\]]|(true|false|null)\s*[,\]])/;

/**
 * JSON, not merely text opening with `{` or `[`: TOML tables (pyproject.toml's `[project]`), INI sections and
 * Jinja's `{%` open the same way. A file read whole must parse. A longer one (only its head was read) must open
 * like JSON, and not with a TOML table header followed by `key = value` lines (never valid JSON: nothing may
 * follow the top-level value).
 */
function isJson(text: string, complete: boolean): boolean {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return false;
  if (complete) {
    try {
      JSON.parse(trimmed);
      return true;
    } catch {
      return false;
    }
  }
  const newline = trimmed.indexOf('\n');
  const firstLine = (newline === -1 ? trimmed : trimmed.slice(0, newline)).trimEnd();
  if (TOML_TABLE_HEADER.test(firstLine) && TOML_KEY_VALUE.test(trimmed.slice(firstLine.length))) return false;
  return JSON_START.test(trimmed);
}

/** Detects the format of a file or member from its bytes (hints: its name, companion data; see DetectHints). */
export async function detectFormat(source: ByteSource, _hints: DetectHints = {}): Promise<DetectedFormat> {
  const head = await source.read(0, DETECT_HEAD_BYTES);
  if (head.length === 0) return 'unknown';
  if (isGguf(head)) return 'gguf';
  if (startsWith(head, HDF5_SIGNATURE)) return 'hdf5';
  if (startsWith(head, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'numpy';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    try {
      const listing = await readZipEntries(source);
      return classifyZipMembers(listing.entries.map((e) => e.name));
    } catch {
      return 'zip';
    }
  }
  // zipfile opens a zip behind prepended bytes (it reads from the end): such a file is read as the zip it also is.
  if (await zipfileOpens(source))
    return classifyZipMembers((await readZipEntries(source, { centralOnly: true })).entries.map((e) => e.name));
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7z';
  if (startsWith(head, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07])) return 'rar';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (isTar(head)) {
    const names = (await listTar(source)).map((m) => m.name);
    return names.includes('sys_info') || (names.includes('pickle') && names.includes('storages')) ? 'pytorch-tar' : 'tar';
  }
  if (isSafetensors(head, source.size)) return 'safetensors';
  // bz2 / xz / lzma / zlib streams: the joblib handler decompresses them (bounded) and scans the pickle inside.
  if (joblibCodec(head) !== 'none') return 'joblib';
  if (isSafetensors(head, source.size)) return 'safetensors';
  if (startsWith(head, TORCH_LEGACY_MAGIC, 2) && head[0] === 0x80) return 'pytorch-legacy';
  if (looksLikePickle(head)) return 'pickle';
  // SavedModel: field 1 saved_model_schema_version = 1, then field 2 meta_graphs, with a 'serve' tag or tensorflow strings.
  if (head[0] === 0x08 && head[1] === 0x01 && head[2] === 0x12) {
    const h = Buffer.from(head);
    if (h.includes('tensorflow') || h.includes('serve')) return 'tf-savedmodel';
  }
  if (looksLikeOnnx(head)) {
    if (source.size <= DETECT_HEAD_BYTES) {
      try {
        parseOnnxModel(head);
        return 'onnx';
      } catch {
        // not a complete ModelProto: fall through
      }
    } else return 'onnx';
  }
  // A protocol 0/1 pickle cut short (no STOP) still executes up to the break: `c<module>\n<name>\n` opens it.
  if (/^\(?c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/.test(new TextDecoder('latin1').decode(head.subarray(0, 256)))) return 'pickle';
  if (isText(head)) return isJson(new TextDecoder().decode(head), source.size <= head.length) ? 'json' : 'text';
  // A bare GraphDef (no SavedModel wrapper) with Python or file ops: scan it as a SavedModel graph.
  if ((head[0] === 0x0a || head[0] === 0x08 || head[0] === 0x12) && findTfOps(head).length > 0) return 'tf-savedmodel';
  return 'unknown';
}
