/**
 * CRC-32 (PNG, zip) and CRC-32C (TFRecord, LevelDB tables). CRC-32 is node:zlib's (native); CRC-32C (Castagnoli,
 * reflected polynomial 0x82f63b78) is computed here, slicing by 8 bytes with tables built on first use, so the
 * format parsers depend on nothing outside Node.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

/** CRC-32 (ISO-HDLC) of `data`, continuing from `seed` (the previous result) when given; unsigned. */
export function crc32(data: Uint8Array, seed?: number): number {
  // node:zlib returns 0 for empty data whatever the seed; the CRC of nothing more is the seed.
  if (data.length === 0) return (seed ?? 0) >>> 0;
  return zlibCrc32(data, seed ?? 0) >>> 0;
}

const CRC32C_POLYNOMIAL = 0x82f63b78;
/** Slicing-by-8: table k maps a byte to its contribution k bytes further on. */
const SLICES = 8;
let tables: Uint32Array | undefined;

function crc32cTables(): Uint32Array {
  const t = new Uint32Array(256 * SLICES);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLYNOMIAL : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] as number;
    for (let s = 1; s < SLICES; s++) {
      c = (t[c & 0xff] as number) ^ (c >>> 8);
      t[s * 256 + n] = c >>> 0;
    }
  }
  return t;
}

/** CRC-32C (Castagnoli) of `data`, continuing from `seed` when given; unsigned. */
export function crc32c(data: Uint8Array, seed?: number): number {
  tables ??= crc32cTables();
  const t = tables;
  let crc = ~(seed ?? 0) >>> 0;
  let i = 0;
  const whole = data.length - (data.length % SLICES);
  for (; i < whole; i += SLICES) {
    const lo =
      crc ^
      ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24));
    crc =
      (t[7 * 256 + (lo & 0xff)] as number) ^
      (t[6 * 256 + ((lo >>> 8) & 0xff)] as number) ^
      (t[5 * 256 + ((lo >>> 16) & 0xff)] as number) ^
      (t[4 * 256 + (lo >>> 24)] as number) ^
      (t[3 * 256 + (data[i + 4] as number)] as number) ^
      (t[2 * 256 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number);
  }
  for (; i < data.length; i++) crc = (t[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** TensorFlow's masked CRC-32C (tensorflow/core/lib/hash/crc32c.h: rotate right 15 bits, add 0xa282ead8). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
