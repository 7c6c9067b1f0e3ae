import { looksLikeOnnx, parseOnnxModel } from '../../formats/onnx/index.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler } from '../types.js';

export { looksLikeOnnx };

/** Largest ONNX file read whole (the protobuf is parsed in memory; 2 GB is protobuf's own cap). */
export const MAX_ONNX_BYTES = 2 * 1024 * 1024 * 1024 - 1;
/** Operator domains of the ONNX standard and ONNX Runtime's built-in contrib ops. */
const STANDARD_DOMAINS = new Set([
  '',
  'ai.onnx',
  'ai.onnx.ml',
  'ai.onnx.training',
  'ai.onnx.preview.training',
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.ms.internal.nhwc',
]);

/**
 * ONNX Runtime's marker for external data already in memory (onnxruntime/core/framework/tensorprotoutils.h,
 * kTensorProtoMemoryAddressTag): when a tensor's location is exactly this, GetExtDataFromTensorProto takes its
 * `offset` as the address of the data in the process. ORT writes it only for tensors it builds itself; from a
 * file it makes the loader read (or crash on) any address the model names, so it is never a file name.
 */
export const ORT_MEMORY_ADDRESS_TAG = '*/_ORT_MEM_ADDR_/*';

/** Why an external_data location escapes the model directory, or undefined when it stays inside. */
export function unsafeExternalLocation(location: string): string | undefined {
  if (location === ORT_MEMORY_ADDRESS_TAG) return "ONNX Runtime's in-memory tag: offset read as a process address";
  if (location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) return 'absolute path';
  if (location.split(/[\\/]+/).includes('..')) return "'..' path traversal";
  if (location.includes('\0')) return 'NUL byte';
  return undefined;
}

/** ONNX: external_data locations outside the model directory (high); custom operator domains (low). */
export const onnxHandler: FormatHandler = {
  formats: ['onnx'],
  async scan(source, ctx) {
    if (source.size > MAX_ONNX_BYTES) {
      return {
        findings: [
          makeFinding(
            'MS-ENG-002',
            'ONNX file larger than MAX_ONNX_BYTES was not parsed',
            { members: [...ctx.members] },
            { limit: 'MAX_ONNX_BYTES' },
          ),
        ],
        errors: [],
      };
    }
    const model = parseOnnxModel(await source.read(0, source.size));
    const findings: Finding[] = [];
    for (const init of model.initializers) {
      const location = init.externalData.location;
      if (location === undefined) continue;
      const why = unsafeExternalLocation(location);
      if (why) {
        findings.push(
          makeFinding(
            'MS-ONNX-001',
            `initializer '${init.name}' reads external data from ${JSON.stringify(location)} (${why})`,
            { members: [...ctx.members], path: init.name },
            { location, reason: why },
          ),
        );
      }
    }
    const domains = [...new Set(model.nodes.map((n) => n.domain).filter((d) => !STANDARD_DOMAINS.has(d)))].sort();
    for (const domain of domains) {
      const ops = [...new Set(model.nodes.filter((n) => n.domain === domain).map((n) => n.opType))].sort();
      findings.push(
        makeFinding(
          'MS-ONNX-002',
          `custom operator domain '${domain}' (${ops.join(', ')}) needs a native library to load`,
          { members: [...ctx.members] },
          { domain, opTypes: ops },
        ),
      );
    }
    return { findings, errors: [] };
  },
};
