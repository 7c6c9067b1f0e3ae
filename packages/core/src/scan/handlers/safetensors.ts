import { readSafetensorsHeader, validateSafetensors } from '../../formats/safetensors/index.js';
import { makeFinding } from '../pickle/findings.js';
import type { FormatHandler } from '../types.js';

/** safetensors: parse the header, then report every integrity problem (medium). */
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
    return { findings, errors: [] };
  },
};
