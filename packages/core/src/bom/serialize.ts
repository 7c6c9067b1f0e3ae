import { createHash } from 'node:crypto';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import { ModelsecError } from '../errors/index.js';
import type { BuiltBom } from './build.js';
import { ExtendedJsonSerializer, ExtendedXmlSerializer } from './extensions.js';
import { validateCycloneDx } from './validate/index.js';

export type MlBomSpec = '1.6' | '1.7';
export type MlBomFormat = 'json' | 'xml';
export const ML_BOM_SPECS: readonly MlBomSpec[] = ['1.6', '1.7'];

function specFor(version: MlBomSpec) {
  return version === '1.7' ? Spec.Spec1dot7 : Spec.Spec1dot6;
}

function render(built: BuiltBom, spec: MlBomSpec, format: MlBomFormat): string {
  const s = specFor(spec);
  const serializer =
    format === 'xml' ? new ExtendedXmlSerializer(s, built.extensions) : new ExtendedJsonSerializer(s, built.extensions);
  const text = serializer.serialize(built.bom, { sortLists: true, space: 2 });
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** A UUID (RFC 4122 layout, version 5 bits) derived from a SHA-256, so the same content gets the same serial. */
export function contentUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Serialises a built ML-BOM and validates it against the official schema. The serialNumber is derived from the
 * content (the 1.6 JSON without a serial), so JSON and XML, 1.6 and 1.7 of the same content share it. Throws
 * BOM_INVALID (schema errors in details) rather than ever returning an invalid document.
 */
export function serializeModelBom(built: BuiltBom, options: { spec?: MlBomSpec; format?: MlBomFormat } = {}): string {
  const spec = options.spec ?? '1.6';
  const format = options.format ?? 'json';
  built.bom.serialNumber = undefined;
  built.bom.serialNumber = `urn:uuid:${contentUuid(render(built, '1.6', 'json'))}`;
  const text = render(built, spec, format);
  const result = validateCycloneDx(text, { format, source: `generated CycloneDX ${spec} ${format.toUpperCase()} BOM` });
  if (!result.valid) {
    throw new ModelsecError(
      'BOM_INVALID',
      `the generated CycloneDX ${spec} ${format} BOM does not validate: ${result.errors[0]?.path} ${result.errors[0]?.message}`,
      {
        details: { spec, format, errors: result.errors },
      },
    );
  }
  return text;
}
