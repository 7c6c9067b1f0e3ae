/**
 * CRC-32 (PNG, zip) and CRC-32C (TFRecord, LevelDB tables), both from the `crc-32` package (SheetJS), which ships
 * CRC-32C as its `crc32c.js` entry without a type declaration of its own.
 */
import { createRequire } from 'node:module';

interface Crc {
  buf(data: Uint8Array, seed?: number): number;
}

const require = createRequire(import.meta.url);
/** Loaded on first use (a scan that checks no CRC does not evaluate the tables' set-up at start-up). */
let CRC32: Crc | undefined;
let CRC32C: Crc | undefined;

/** CRC-32 (ISO-HDLC) of `data`, continuing from `seed` (the previous result) when given; unsigned. */
export function crc32(data: Uint8Array, seed?: number): number {
  CRC32 ??= require('crc-32') as Crc;
  return CRC32.buf(data, seed) >>> 0;
}

/** CRC-32C (Castagnoli) of `data`, continuing from `seed` when given; unsigned. */
export function crc32c(data: Uint8Array, seed?: number): number {
  CRC32C ??= require('crc-32/crc32c.js') as Crc;
  return CRC32C.buf(data, seed) >>> 0;
}

/** TensorFlow's masked CRC-32C (tensorflow/core/lib/hash/crc32c.h: rotate right 15 bits, add 0xa282ead8). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
