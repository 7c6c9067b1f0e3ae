import { readSafetensorsHeader, validateSafetensors } from '../../formats/safetensors/index.js';
import { makeFinding } from '../pickle/findings.js';
import type { Finding, FormatHandler } from '../types.js';

/**
 * Python or shell code in `__metadata__` values. safetensors never executes metadata, so this is medium: a planted
 * string is a sign of tampering and a trap for tooling that evals or shells out with metadata.
 */
const CODE_IN_METADATA: ReadonlyArray<[string, RegExp]> = [
  ['python-import', /\bimport\s+(os|subprocess|sys|socket|shutil|pty|ctypes|builtins)\b|__import__\s*\(/],
  ['python-call', /\b(os\.(system|popen|exec\w*)|subprocess\.\w+|eval|exec|compile)\s*\(/],
  ['shell', /(\brm\s+-rf\b|\bchmod\s+[0-7]{3,4}\b|\b(curl|wget)\s+\S+\s*(\||&&|;)|\|\s*(ba)?sh\b|\bbase64\s+(-d|--decode)\b)/],
  ['script-tag', /<script\b/i],
];

function metadataFindings(metadata: Record<string, string>, members: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  for (const key of Object.keys(metadata).sort()) {
    const value = metadata[key] ?? '';
    const kinds = CODE_IN_METADATA.filter(([, pattern]) => pattern.test(value)).map(([kind]) => kind);
    if (kinds.length === 0) continue;
    findings.push(
      makeFinding(
        'MS-ST-002',
        `__metadata__.${key} holds code-like text (${kinds.join(', ')}); safetensors never runs it, but something planted it`,
        { members: [...members], path: `__metadata__.${key}` },
        { key, kinds, excerpt: value.slice(0, 200) },
      ),
    );
  }
  return findings;
}

/** safetensors: parse the header, then report every integrity problem (medium) and code-like metadata (medium). */
export const safetensorsHandler: FormatHandler = {
  formats: ['safetensors'],
  async scan(source, ctx) {
    const header = await readSafetensorsHeader(source);
    const findings = validateSafetensors(header).map((problem) =>
      makeFinding(
        'MS-ST-001',
        problem.message,
        { members: [...ctx.members], ...(problem.tensor ? { path: problem.tensor } : {}) },
        { kind: problem.kind, ...(problem.tensor ? { tensor: problem.tensor } : {}) },
      ),
    );
    findings.push(...metadataFindings(header.metadata, ctx.members));
    return { findings, errors: [] };
  },
};
