/**
 * Keras HDF5 models (`.h5`): the architecture lives in the root `model_config` attribute (JSON), which Keras
 * deserialises at load time, Lambda layers included. HDF5 is read with h5wasm (the HDF5 library compiled to
 * WebAssembly), never by hand. A plain HDF5 data file (no model_config) holds arrays only and nothing that loads
 * as code. A file h5wasm cannot open fails closed (medium), never clean.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteSource } from '../../formats/byte-source.js';
import { importDependency } from '../../util/dependency.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler, HandlerResult, ScanContext } from '../types.js';
import { checkKerasConfig, type EmbeddedPayload, MAX_KERAS_CONFIG_BYTES } from './keras.js';

/**
 * Largest nested HDF5 (an archive member, held in memory) copied to a temp file for h5wasm, which opens paths
 * only. Files on disk are opened in place whatever their size: HDF5 reads only the metadata it is asked for.
 */
export const MAX_NESTED_HDF5_BYTES = 512 * 1024 * 1024;

/** Root attributes that hold Keras JSON (architecture and compile settings). */
const CONFIG_ATTRIBUTES = ['model_config', 'training_config'] as const;

type H5Module = typeof import('h5wasm/node');
type H5 = H5Module['default'];

/** The part of the emscripten file system of h5wasm's module used here: its table of open descriptors. */
interface EmscriptenStreams {
  streams?: unknown;
}

let h5: Promise<{ lib: H5; fs: EmscriptenStreams | null }> | undefined;

async function loadH5(): Promise<{ lib: H5; fs: EmscriptenStreams | null }> {
  // h5wasm (a WASM build of HDF5) is evaluated on the first HDF5 file; its absence is DEPENDENCY_MISSING naming it.
  h5 ??= importDependency('h5wasm', 'scanning Keras HDF5 models', () => import('h5wasm/node')).then(async (module) => {
    const wasm = await module.default.ready;
    return { lib: module.default, fs: (wasm as { FS?: EmscriptenStreams }).FS ?? null };
  });
  return h5;
}

/** stdout and stderr of the module's C library. */
const STDIO_DESCRIPTORS = [1, 2] as const;

/**
 * Runs `fn` with the stdout and stderr of h5wasm's C library detached, so HDF5's automatic error-stack printing
 * ("HDF5-DIAG: Error detected in HDF5 ...", written with fs.writeSync to the process's fd 2, bypassing
 * process.stderr) goes nowhere: library code returns findings and never prints. A write to a detached descriptor
 * fails with EBADF inside the module and is dropped. `fn` is synchronous, so no other code (another user of h5wasm
 * in the process) runs before the descriptors are put back.
 *
 * Not used instead: h5wasm exports no H5Eset_auto2; its activate_throwing_error_handler() throws out of the HDF5
 * callback before fclose() of the temp file it prints into (a descriptor leaked per corrupt file) and turns every
 * error HDF5 tolerates inside a call into an exception; the module's print/printErr are bound when h5wasm creates
 * the module, before modelsec could pass its own.
 */
function withoutStdio<T>(fs: EmscriptenStreams | null, fn: () => T): T {
  const streams = fs?.streams;
  // An h5wasm whose module no longer has this table: scan anyway (HDF5 may print; the result is unchanged).
  if (!Array.isArray(streams)) return fn();
  const saved = STDIO_DESCRIPTORS.map((fd) => streams[fd] as unknown);
  for (const fd of STDIO_DESCRIPTORS) streams[fd] = null;
  try {
    return fn();
  } finally {
    STDIO_DESCRIPTORS.forEach((fd, i) => {
      streams[fd] = saved[i];
    });
  }
}

async function withPath<T>(source: ByteSource, fn: (path: string) => Promise<T>): Promise<T | 'too-large'> {
  if (source.path) return fn(source.path);
  if (source.size > MAX_NESTED_HDF5_BYTES) return 'too-large';
  const dir = await mkdtemp(join(tmpdir(), 'modelsec-h5-'));
  try {
    const path = join(dir, 'member.h5');
    await writeFile(path, await source.read(0, source.size));
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function attributeText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

async function scanHdf5(source: ByteSource, ctx: ScanContext): Promise<HandlerResult> {
  const members = [...ctx.members];
  const { lib, fs } = await loadH5();
  const embedded: EmbeddedPayload[] = [];
  const result = await withPath(source, async (path) => withoutStdio(fs, () => inspectHdf5(lib, path, members, embedded)));
  if (result === 'too-large')
    return {
      findings: [
        makeFinding(
          'MS-ENG-004',
          'nested HDF5 larger than MAX_NESTED_HDF5_BYTES was not inspected',
          { members },
          {
            limit: 'MAX_NESTED_HDF5_BYTES',
          },
        ),
      ],
      errors: [],
    };
  for (const payload of embedded) {
    const nested = await ctx.scanNested(payload.bytes, `${payload.path} (${payload.what})`);
    result.findings.push(...nested.findings);
    result.errors.push(...nested.errors);
  }
  return result;
}

/** Opens the HDF5 file at `path` and checks its Keras attributes. Synchronous: see withoutStdio. */
function inspectHdf5(lib: H5, path: string, members: string[], embedded: EmbeddedPayload[]): HandlerResult {
  let file: InstanceType<H5['File']>;
  try {
    file = new lib.File(path, 'r');
  } catch (error) {
    return {
      findings: [makeFinding('MS-ENG-002', `HDF5 file could not be opened: ${(error as Error).message}`, { members })],
      errors: [{ code: 'FORMAT_INVALID', message: 'HDF5 file could not be opened', location: { members } }],
    };
  }
  try {
    const findings: Finding[] = [];
    let isKeras = false;
    for (const name of CONFIG_ATTRIBUTES) {
      const attribute = file.attrs[name];
      if (!attribute) continue;
      const text = attributeText(attribute.value);
      if (text === undefined || text.length > MAX_KERAS_CONFIG_BYTES) {
        findings.push(
          makeFinding('MS-ENG-002', `HDF5 attribute '${name}' is not a JSON string modelsec can read`, {
            members,
            path: `/@${name}`,
          }),
        );
        continue;
      }
      let config: unknown;
      try {
        config = JSON.parse(text);
      } catch {
        findings.push(makeFinding('MS-ENG-002', `HDF5 attribute '${name}' is not valid JSON`, { members, path: `/@${name}` }));
        continue;
      }
      if (name === 'model_config') isKeras = true;
      // Payloads the config embeds (TorchModuleWrapper's torch.save bytes) are scanned by scanHdf5 once the file
      // is closed (this function is synchronous), as the files torch.load reads.
      const found: EmbeddedPayload[] = [];
      findings.push(...checkKerasConfig(config, members, found));
      for (const payload of found) embedded.push({ ...payload, path: `@${name}#${payload.path}` });
    }
    return { findings, errors: [], format: isKeras ? 'keras-h5' : 'hdf5' };
  } catch (error) {
    // h5wasm opens some corrupt files without throwing and fails on the first read instead.
    return {
      findings: [makeFinding('MS-ENG-002', `HDF5 file could not be read: ${(error as Error).message}`, { members })],
      errors: [{ code: 'FORMAT_INVALID', message: 'HDF5 file could not be read', location: { members } }],
    };
  } finally {
    try {
      file.close();
    } catch {
      // Closing a file h5wasm never really opened fails too; nothing is held.
    }
  }
}

export const kerasH5Handler: FormatHandler = {
  formats: ['hdf5', 'keras-h5'],
  scan: scanHdf5,
};
