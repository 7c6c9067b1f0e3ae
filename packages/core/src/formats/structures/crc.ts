/**
 * CRC-32 (PNG, zip) and CRC-32C (TFRecord, LevelDB tables), both from the `crc-32` package (SheetJS), which ships
 * CRC-32C as its `crc32c.js` entry without a type declaration of its own.
 */
import { createRequire } from 'node:module';
import CRC32 from 'crc-32';

interface Crc {
  buf(data: Uint8Array, seed?: number): number;
}

const require = createRequire(import.meta.url);
const CRC32C = require('crc-32/crc32c.js') as Crc;

/** CRC-32 (ISO-HDLC) of `data`, continuing from `seed` (the previous result) when given; unsigned. */
export function crc32(data: Uint8Array, seed?: number): number {
  return CRC32.buf(data, seed) >>> 0;
}

/** CRC-32C (Castagnoli) of `data`, continuing from `seed` when given; unsigned. */
export function crc32c(data: Uint8Array, seed?: number): number {
  return CRC32C.buf(data, seed) >>> 0;
}

/** TensorFlow's masked CRC-32C (tensorflow/core/lib/hash/crc32c.h: rotate right 15 bits, add 0xa282ead8). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
