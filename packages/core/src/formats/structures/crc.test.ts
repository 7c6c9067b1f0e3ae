import { describe, expect, it } from 'vitest';
import { crc32, crc32c, maskedCrc32c } from './crc.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const bytes = (length: number, at: (i: number) => number) => Uint8Array.from({ length }, (_, i) => at(i));

describe('CRC-32 and CRC-32C', () => {
  it('CRC-32 check value and continuation', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('56789'), crc32(ascii('1234')))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(), 0x1234)).toBe(0x1234);
  });

  it('CRC-32C check value and the RFC 3720 B.4 vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(bytes(32, () => 0))).toBe(0x8a9136aa);
    expect(crc32c(bytes(32, () => 0xff))).toBe(0x62a8ab43);
    expect(crc32c(bytes(32, (i) => i))).toBe(0x46dd794e);
    expect(crc32c(bytes(32, (i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('CRC-32C continues from a seed at any split (slices of 8 and the byte-wise tail agree)', () => {
    const data = bytes(37, (i) => (i * 131 + 7) & 0xff);
    const whole = crc32c(data);
    for (let cut = 0; cut <= data.length; cut++) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
    }
  });

  it("TensorFlow's masked CRC-32C", () => {
    const crc = crc32c(ascii('123456789'));
    expect(maskedCrc32c(ascii('123456789'))).toBe(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
});
