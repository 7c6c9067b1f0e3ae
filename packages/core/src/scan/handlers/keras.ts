/**
 * Keras `.keras` archives (recognised by a root config.json that is a serialised Keras object, with or without
 * metadata.json and model.weights.h5: see detect.ts): config.json is walked for Lambda layers (marshalled
 * bytecode), `module`/`class_name` references outside keras/tensorflow, and unsafe-deserialization toggles; every
 * member (weights, npz, pickles) is also scanned through ctx.scanNested by the zip handler. A zip that is also a
 * PyTorch archive (a data.pkl beside the Keras config) is read both ways: torch.load would read it as a checkpoint.
 */

import { decompressBounded } from '../../compression/index.js';
import { readZipEntries, readZipEntry } from '../../formats/zip/index.js';
import { classifyZipMembers } from '../detect.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FindingLocation, FormatHandler, ScanContext, ScanIssue } from '../types.js';
import { zipArchiveHandler } from './archives.js';
import { pytorchZipHandler } from './pytorch-zip.js';

/** Largest config.json parsed (real configs are tens of KB to a few MB). */
export const MAX_KERAS_CONFIG_BYTES = 64 * 1024 * 1024;
/** Nesting of config objects walked (JSON.parse already bounds it by size; this bounds the walk). */
export const MAX_KERAS_CONFIG_DEPTH = 256;

const SAFE_MODULE = /^(keras|tf_keras|tensorflow|keras_nlp|keras_hub|keras_cv)(\.|$)/;
const DANGEROUS_MODULE =
  /^(builtins|__builtin__|os|posix|nt|subprocess|sys|socket|shutil|runpy|importlib|pickle|marshal|ctypes|pty|code|codeop|webbrowser)(\.|$)/;
const UNSAFE_TOGGLE = /enable_unsafe_deserialization|safe_mode|get_file/;

/**
 * Keras 3's TorchModuleWrapper (the torch backend's wrapper of a torch.nn.Module) stores the module as
 * base64(torch.save(module)) in its config's `module` field, and from_config runs
 * `torch.load(io.BytesIO(base64.b64decode(config["module"])), weights_only=False)`: a whole pickle inside config.json.
 */
const TORCH_MODULE_WRAPPER = 'TorchModuleWrapper';

/** A payload config.json embeds that a loader deserializes: scanned as a nested file. */
export interface EmbeddedPayload {
  /** JSON path in config.json. */
  path: string;
  bytes: Uint8Array;
  what: string;
}

/** Base64 decoded as Python's base64.b64decode does by default: characters outside the alphabet are discarded. */
function pythonB64decode(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
}

export function checkKerasConfig(config: unknown, members: readonly string[], embedded: EmbeddedPayload[] = []): Finding[] {
  const findings: Finding[] = [];
  const at = (path: string): FindingLocation => ({ members: [...members], path });
  const walk = (value: unknown, path: string, depth: number): void => {
    if (depth > MAX_KERAS_CONFIG_DEPTH) {
      findings.push(
        makeFinding('MS-ENG-002', 'Keras config nested deeper than MAX_KERAS_CONFIG_DEPTH', at(path), {
          limit: 'MAX_KERAS_CONFIG_DEPTH',
        }),
      );
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, `${path}/${i}`, depth + 1);
      });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const obj = value as Record<string, unknown>;
    const className = typeof obj.class_name === 'string' ? obj.class_name : undefined;
    const module = typeof obj.module === 'string' ? obj.module : undefined;
    const wrapped = (obj.config ?? {}) as Record<string, unknown>;
    const torchModule =
      (className === TORCH_MODULE_WRAPPER || obj.registered_name === TORCH_MODULE_WRAPPER) && typeof wrapped.module === 'string'
        ? wrapped.module
        : undefined;
    if (torchModule !== undefined)
      embedded.push({
        path: `${path}/config/module`,
        bytes: pythonB64decode(torchModule),
        what: 'TorchModuleWrapper module: base64 of torch.save, loaded with torch.load(weights_only=False)',
      });
    // A Lambda layer, or a serialized Python function (`__lambda__`: Keras 3's serialization_lib turns its base64
    // marshal `code` into a function with python_utils.func_load wherever it sits: an activation, a loss, a layer
    // argument, not only inside a Lambda layer).
    if (className === 'Lambda' || className === '__lambda__') {
      const text = JSON.stringify(obj.config ?? obj);
      const bytecode = /"code"\s*:\s*"|"function"\s*:\s*\[\s*"|4wEAAAAAAAAA|YwAAAAAAAAA|4w[A-Za-z0-9+/]{20}/.test(text);
      findings.push(
        makeFinding(
          'MS-KERAS-001',
          className === '__lambda__'
            ? `serialized Python function (__lambda__)${bytecode ? ' carries marshalled bytecode' : ''}`
            : bytecode
              ? 'Lambda layer carries marshalled Python bytecode'
              : 'Lambda layer (runs a Python function when the model loads)',
          at(path),
          { className, bytecode },
          bytecode ? 'critical' : 'high',
        ),
      );
    }
    if (module !== undefined && !SAFE_MODULE.test(module)) {
      findings.push(
        makeFinding(
          'MS-KERAS-002',
          `config references ${module}.${className ?? '?'} outside keras/tensorflow`,
          at(path),
          { module, className: className ?? null },
          DANGEROUS_MODULE.test(module) ? 'critical' : 'high',
        ),
      );
    }
    for (const [k, v] of Object.entries(obj)) {
      // The wrapper's config holds the torch.save bytes under `module`: a payload (scanned above), not a module name.
      if (torchModule !== undefined && k === 'config') {
        const { module: _payload, ...rest } = wrapped;
        walk(rest, `${path}/config`, depth + 1);
        continue;
      }
      if (
        typeof v === 'string' &&
        UNSAFE_TOGGLE.test(v) &&
        (k === 'class_name' || k === 'registered_name' || k === 'function' || k === 'module')
      ) {
        findings.push(
          makeFinding(
            'MS-KERAS-003',
            `config calls ${v} (unsafe deserialization toggle or download gadget)`,
            at(`${path}/${k}`),
            { value: v },
          ),
        );
      }
      walk(v, `${path}/${k}`, depth + 1);
    }
  };
  walk(config, '', 0);
  return findings;
}

/**
 * checkKerasConfig plus the payloads the config embeds (TorchModuleWrapper's torch.save bytes), each scanned through
 * ctx.scanNested as the file its loader reads. Every caller that has a ScanContext uses this, so an embedded
 * payload is judged wherever the Keras JSON sits (config.json, an HDF5 model_config, SavedModel keras_metadata).
 * `where` names the JSON's place inside the file (an attribute, a metadata node) in the nested member's name.
 */
export async function scanKerasConfig(
  config: unknown,
  members: readonly string[],
  ctx: ScanContext,
  where = '',
): Promise<{ findings: Finding[]; errors: ScanIssue[] }> {
  const embedded: EmbeddedPayload[] = [];
  const findings = checkKerasConfig(config, members, embedded);
  const errors: ScanIssue[] = [];
  for (const payload of embedded) {
    const nested = await ctx.scanNested(payload.bytes, `${where}#${payload.path} (${payload.what})`);
    findings.push(...nested.findings);
    errors.push(...nested.errors);
  }
  return { findings, errors };
}

export const kerasHandler: FormatHandler = {
  formats: ['keras'],
  async scan(source, ctx) {
    // Every member, model.weights.h5 included, is scanned by its content (HDF5 through keras-h5.ts); nothing is
    // filtered out, so a member that cannot be inspected is reported whatever its name.
    const base = await zipArchiveHandler.scan(source, ctx);
    const listing = await readZipEntries(source);
    const torch = classifyZipMembers(listing.entries.map((e) => e.name));
    if (torch === 'pytorch-zip' || torch === 'torchscript') {
      // Worst reading wins: torch.load's reading of the same archive, findings not already reported added.
      const seen = new Set(base.findings.map((f) => `${f.ruleId}|${f.message}|${JSON.stringify(f.location)}`));
      const asTorch = await pytorchZipHandler.scan(source, ctx);
      for (const f of asTorch.findings)
        if (!seen.has(`${f.ruleId}|${f.message}|${JSON.stringify(f.location)}`)) base.findings.push(f);
      base.errors.push(...asTorch.errors);
    }
    const entry = listing.entries.find((e) => e.name === 'config.json');
    if (!entry) return base;
    const members = [...ctx.members, 'config.json'];
    try {
      const { bytes } = await readZipEntry(source, entry, { maxBytes: MAX_KERAS_CONFIG_BYTES, decompress: decompressBounded });
      const config = JSON.parse(new TextDecoder('utf-8').decode(bytes)) as unknown;
      // Payloads the config embeds (TorchModuleWrapper) are scanned with the config.json member itself (templates.ts).
      base.findings.push(...checkKerasConfig(config, members));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      base.findings.push(
        makeFinding('MS-ENG-002', `Keras config.json could not be parsed: ${message}`, { members }, { error: message }),
      );
      base.errors.push({ code: 'SCAN_KERAS_CONFIG', message, location: { members } });
    }
    return base;
  },
};
