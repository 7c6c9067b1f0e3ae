/**
 * Companion data: files whose bytes are raw tensors with no header of their own, recognised from the manifest
 * beside them that references them, and only when the file's size is exactly what the manifest accounts for:
 * - ONNX external data: every initializer's `external_data` (location, offset, length) in a `.onnx` model; the
 *   file must end where its last referenced tensor ends (onnx.save_model(save_as_external_data=True) writes them
 *   back to back, aligned);
 * - OpenVINO IR weights: `<stem>.bin` beside `<stem>.xml` (`<net>`), ending where its last `<data offset size>`
 *   range ends;
 * - TF checkpoint shards: `<prefix>.data-NNNNN-of-MMMMM` beside `<prefix>.index`, each ending where its last
 *   BundleEntryProto (shard_id, offset, size) ends;
 * - Paddle parameters: `<stem>.pdiparams` beside `<stem>.pdmodel`, a run of LoDTensors filling the file whose
 *   count is the program's persistable variables;
 * - Core ML weights: the `weights/` items of an `.mlpackage` Manifest.json, MIL blob storage filling the file;
 * - MLC-LLM parameter shards: `records[].dataPath` of `ndarray-cache.json`, each exactly `records[].nbytes` long;
 * - TensorFlow.js weight shards: the `weightsManifest[].paths` of a `model.json` (tfjs-converter), whose files
 *   together are exactly as long as that group's `weights` (shape x dtype size, or the quantization dtype's).
 * Only a hint for detection (DetectHints.companion): content readings that apply still win, and the engine's
 * pickle reading of the file runs whatever the hint says. A manifest is untrusted like any file: a reference that
 * leaves the directory, a size that does not match, a manifest that does not parse: no companion.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileSource } from '../formats/byte-source.js';
import { onnxTensorBytes, parseOnnxModel } from '../formats/onnx/index.js';
import { protoFields, protoFieldsOfSource, protoString } from '../formats/protobuf/index.js';
import { walkCoremlWeights, walkPaddleParams } from '../formats/structures/containers.js';
import { readTfBundleIndex } from '../formats/structures/tf-bundle.js';
import { Window } from '../formats/structures/window.js';
import type { CompanionKind } from './types.js';
import { readXml } from './xml.js';

export interface WalkedFile {
  absolute: string;
  display: string;
}

/** Largest manifest read to find companions (ONNX graphs with external data are small; XML IRs a few MB). */
export const MAX_COMPANION_MANIFEST_BYTES = 256 * 1024 * 1024;
/** Manifests read per scan (a bound on the work a directory of hostile manifests can cause). */
export const MAX_COMPANION_MANIFESTS = 10_000;

/** `base/location` when it stays inside `base` (no absolute path, drive, `..` or NUL). */
function inside(base: string, location: string): string | undefined {
  if (
    location === '' ||
    location.includes('\0') ||
    location.startsWith('/') ||
    location.startsWith('\\') ||
    /^[A-Za-z]:/.test(location)
  )
    return undefined;
  if (location.split(/[\\/]+/).includes('..')) return undefined;
  const full = resolve(base, location);
  const rel = relative(base, full);
  return rel === '' || rel.startsWith('..') || rel.startsWith(sep) ? undefined : full;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function onnxCompanions(manifest: string, out: Map<string, CompanionKind>, expected: Map<string, bigint>): Promise<void> {
  const model = parseOnnxModel(await readFile(manifest));
  for (const init of model.initializers) {
    const location = init.externalData.location;
    if (location === undefined) continue;
    const target = inside(dirname(manifest), location);
    if (!target) continue;
    const offset = BigInt(/^\d+$/.test(init.externalData.offset ?? '0') ? (init.externalData.offset ?? '0') : '-1');
    const lengthText = init.externalData.length;
    const length = lengthText !== undefined && /^\d+$/.test(lengthText) ? BigInt(lengthText) : onnxTensorBytes(init);
    if (offset < 0n || length === undefined) {
      expected.set(target, -1n); // a reference whose extent is unknown: the file cannot be accounted for
      continue;
    }
    const previous = expected.get(target);
    if (previous === -1n) continue;
    expected.set(target, previous === undefined || offset + length > previous ? offset + length : previous);
    out.set(target, 'onnx-external-data');
  }
}

async function openvinoCompanion(manifest: string, out: Map<string, CompanionKind>): Promise<void> {
  const source = await fileSource(manifest);
  try {
    const xml = await readXml(source);
    if (xml.root !== 'net' || !xml.weightsWellFormed) return;
    const bin = manifest.replace(/\.xml$/i, '.bin');
    if ((await fileSize(bin)) === xml.weightsEnd) out.set(bin, 'openvino-weights');
  } finally {
    await source.close();
  }
}

async function tfCompanions(manifest: string, out: Map<string, CompanionKind>): Promise<void> {
  const source = await fileSource(manifest);
  try {
    const index = await readTfBundleIndex(new Window(source, 'tf-index'));
    const prefix = manifest.slice(0, -'.index'.length);
    const shards = Math.max(index.numShards, 1);
    for (let shard = 0; shard < shards; shard++) {
      const data = `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}`;
      if ((await fileSize(data)) === (index.shardSizes.get(shard) ?? 0)) out.set(data, 'tf-variables-data');
    }
  } finally {
    await source.close();
  }
}

/** Persistable variables of a Paddle program (those save_inference_model writes to .pdiparams), feed/fetch excluded. */
async function paddlePersistables(manifest: string): Promise<number> {
  const source = await fileSource(manifest);
  const names = new Set<string>();
  try {
    for await (const block of protoFieldsOfSource(source)) {
      if (block.field !== 1 || block.wire !== 2) continue;
      for (const f of protoFields(await block.read())) {
        if (f.field !== 3 || f.wire !== 2) continue; // BlockDesc.vars: VarDesc { name 1; type 2; persistable 3 }
        let name = '';
        let persistable = false;
        let lodTensor = false;
        for (const v of protoFields(f.value)) {
          if (v.field === 1 && v.wire === 2) name = protoString(v.value);
          else if (v.field === 3 && v.wire === 0) persistable = v.value !== 0n;
          else if (v.field === 2 && v.wire === 2)
            for (const t of protoFields(v.value)) if (t.field === 1 && t.wire === 0) lodTensor = t.value === 7n; // LOD_TENSOR
        }
        if (persistable && lodTensor && name !== 'feed' && name !== 'fetch') names.add(name);
      }
    }
  } finally {
    await source.close();
  }
  return names.size;
}

async function paddleCompanion(manifest: string, out: Map<string, CompanionKind>): Promise<void> {
  const params = manifest.replace(/\.pdmodel$/i, '.pdiparams');
  if ((await fileSize(params)) === undefined) return;
  const expected = await paddlePersistables(manifest);
  const source = await fileSource(params);
  try {
    if ((await walkPaddleParams(new Window(source, 'paddle-params'))) === expected) out.set(params, 'paddle-params');
  } finally {
    await source.close();
  }
}

async function coremlCompanions(manifest: string, out: Map<string, CompanionKind>): Promise<void> {
  const doc = JSON.parse(await readFile(manifest, 'utf8')) as { itemInfoEntries?: Record<string, { path?: unknown }> };
  const data = join(dirname(manifest), 'Data');
  for (const item of Object.values(doc.itemInfoEntries ?? {})) {
    if (typeof item?.path !== 'string') continue;
    const dir = inside(data, item.path);
    if (!dir) continue;
    const weight = join(dir, 'weight.bin');
    if ((await fileSize(weight)) === undefined) continue;
    const source = await fileSource(weight);
    try {
      await walkCoremlWeights(new Window(source, 'coreml-weights'));
      out.set(weight, 'coreml-weights');
    } catch {
      // not MIL blob storage: no companion
    } finally {
      await source.close();
    }
  }
}

async function mlcCompanions(manifest: string, out: Map<string, CompanionKind>): Promise<void> {
  const doc = JSON.parse(await readFile(manifest, 'utf8')) as { records?: Array<{ dataPath?: unknown; nbytes?: unknown }> };
  for (const record of Array.isArray(doc.records) ? doc.records : []) {
    if (typeof record?.dataPath !== 'string' || typeof record.nbytes !== 'number') continue;
    const target = inside(dirname(manifest), record.dataPath);
    if (target && (await fileSize(target)) === record.nbytes) out.set(target, 'mlc-params');
  }
}

/** Bytes per element of a TF.js weight (tfjs-core's DataType, or the `quantization.dtype` it was stored as). */
const TFJS_DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Bytes of one weight entry, or undefined when it cannot be sized (a `string` tensor, a malformed entry). */
function tfjsWeightBytes(entry: unknown): number | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { shape, dtype, quantization } = entry as { shape?: unknown; dtype?: unknown; quantization?: unknown };
  const stored = typeof quantization === 'object' && quantization !== null ? (quantization as { dtype?: unknown }).dtype : dtype;
  const size = typeof stored === 'string' && Object.hasOwn(TFJS_DTYPE_BYTES, stored) ? TFJS_DTYPE_BYTES[stored] : undefined;
  if (size === undefined || !Array.isArray(shape)) return undefined;
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return undefined;
    count *= d;
    if (!Number.isSafeInteger(count)) return undefined;
  }
  return count * size;
}

/**
 * TF.js `model.json`: each weights group's shard files, in order, hold its weights back to back
 * (tfjs-converter's write_weights), so their sizes add up to exactly the group's bytes. A group with a weight
 * that cannot be sized, a path leaving the directory or a missing shard names no companion.
 */
async function tfjsCompanions(manifest: string, out: Map<string, CompanionKind>): Promise<void> {
  const doc = JSON.parse(await readFile(manifest, 'utf8')) as { weightsManifest?: unknown };
  if (!Array.isArray(doc.weightsManifest)) return;
  for (const group of doc.weightsManifest) {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !Array.isArray(weights) || paths.length === 0) continue;
    let expected = 0;
    for (const weight of weights) {
      const bytes = tfjsWeightBytes(weight);
      expected = bytes === undefined ? Number.NaN : expected + bytes;
    }
    if (!Number.isSafeInteger(expected)) continue;
    const targets: string[] = [];
    let actual = 0;
    for (const path of paths) {
      const target = typeof path === 'string' ? inside(dirname(manifest), path) : undefined;
      const size = target === undefined ? undefined : await fileSize(target);
      if (target === undefined || size === undefined || targets.includes(target)) {
        actual = Number.NaN;
        break;
      }
      targets.push(target);
      actual += size;
    }
    if (actual === expected) for (const target of targets) out.set(target, 'tfjs-weights');
  }
}

/** Which of `files` are referenced as raw data by a manifest among them (absolute path -> kind). */
export async function findCompanions(files: readonly WalkedFile[]): Promise<Map<string, CompanionKind>> {
  const out = new Map<string, CompanionKind>();
  const onnxExpected = new Map<string, bigint>();
  const listed = new Set(files.map((f) => resolve(f.absolute)));
  let manifests = 0;
  for (const file of files) {
    const path = resolve(file.absolute);
    const name = path.slice(path.lastIndexOf(sep) + 1);
    const read: ((manifest: string) => Promise<void>) | undefined = /\.onnx$/i.test(name)
      ? (m) => onnxCompanions(m, out, onnxExpected)
      : /\.xml$/i.test(name)
        ? (m) => openvinoCompanion(m, out)
        : /\.index$/i.test(name)
          ? (m) => tfCompanions(m, out)
          : /\.pdmodel$/i.test(name)
            ? (m) => paddleCompanion(m, out)
            : name === 'Manifest.json'
              ? (m) => coremlCompanions(m, out)
              : name === 'ndarray-cache.json'
                ? (m) => mlcCompanions(m, out)
                : name === 'model.json'
                  ? (m) => tfjsCompanions(m, out)
                  : undefined;
    if (!read) continue;
    if (++manifests > MAX_COMPANION_MANIFESTS) break;
    const size = await fileSize(path);
    if (size === undefined || size > MAX_COMPANION_MANIFEST_BYTES) continue;
    try {
      await read(path);
    } catch {
      // A manifest that does not parse names no companion (the manifest itself is reported by its own scan).
    }
  }
  for (const [target, end] of onnxExpected) {
    if (end < 0n || BigInt((await fileSize(target)) ?? -1) !== end) out.delete(target);
  }
  for (const target of [...out.keys()]) if (!listed.has(target)) out.delete(target);
  return out;
}

// ── Code that trust_remote_code imports ─────────────────────────────────────────────────────────────────────────

/** Largest config read for its `auto_map` (configs are KBs; tokenizer.json vocabularies, MBs, never hold one). */
const MAX_AUTO_MAP_CONFIG_BYTES = 1024 * 1024;
/** Python files read to follow relative imports from remote code. */
const MAX_REMOTE_CODE_FILES = 10_000;

/** `module.Class` references of an auto_map value (a string or a list of them; `repo--module.Class` is elsewhere). */
function autoMapModules(value: unknown): string[] {
  const refs = Array.isArray(value) ? value : [value];
  return refs
    .filter((r): r is string => typeof r === 'string' && !r.includes('--') && r.includes('.'))
    .map((r) => r.slice(0, r.lastIndexOf('.')));
}

/** Modules a Python source imports relatively (`from .x import y`, `from . import x`, `import .x`), as transformers follows them. */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  for (const line of source.split('\n')) {
    const t = line.trim();
    if (t.startsWith('from .')) {
      const rest = t.slice(5);
      const space = rest.indexOf(' ');
      const module = (space < 0 ? rest : rest.slice(0, space)).replace(/^\.+/, '');
      const imported = /\bimport\s+(.+)$/.exec(t)?.[1];
      if (module !== '') out.push(module);
      else if (imported) for (const name of imported.replace(/[()]/g, '').split(',')) out.push(name.trim().split(/\s+/)[0] ?? '');
    } else if (t.startsWith('import .')) out.push(t.slice(8).split(/\s/)[0] ?? '');
  }
  return out.filter((m) => /^[A-Za-z_][\w.]*$/.test(m));
}

/**
 * The Python files `from_pretrained(..., trust_remote_code=True)` would import: those named by the `auto_map` of a
 * JSON config among `files` (config.json, tokenizer_config.json, processor configs), and what they import
 * relatively, transitively (transformers' get_relative_import_files). Absolute paths.
 */
export async function findRemoteCode(files: readonly WalkedFile[]): Promise<Set<string>> {
  const listed = new Set(files.map((f) => resolve(f.absolute)));
  const pending: string[] = [];
  for (const file of files) {
    const path = resolve(file.absolute);
    if (!path.endsWith('.json')) continue;
    const size = await fileSize(path);
    if (size === undefined || size > MAX_AUTO_MAP_CONFIG_BYTES) continue;
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      continue;
    }
    const autoMap = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).auto_map : undefined;
    if (typeof autoMap !== 'object' || autoMap === null) continue;
    for (const value of Object.values(autoMap))
      for (const module of autoMapModules(value)) pending.push(join(dirname(path), `${module}.py`));
  }
  const found = new Set<string>();
  while (pending.length > 0 && found.size < MAX_REMOTE_CODE_FILES) {
    const path = pending.pop() as string;
    if (found.has(path) || !listed.has(path)) continue;
    found.add(path);
    let source: string;
    try {
      source = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    for (const module of relativeImports(source)) {
      const base = join(dirname(path), ...module.split('.'));
      pending.push(`${base}.py`, join(base, '__init__.py'));
    }
  }
  return found;
}
