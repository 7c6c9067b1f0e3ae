/** Tiny builders for safetensors and GGUF test inputs (test-only). */

export function safetensorsBytes(header: Record<string, unknown>, dataBytes: number, rawHeaderLength?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(8 + json.length + dataBytes);
  out.writeBigUInt64LE(rawHeaderLength ?? BigInt(json.length), 0);
  json.copy(out, 8);
  return out;
}

function ggufString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(b.length));
  return Buffer.concat([len, b]);
}

/** A GGUF v3 file with string metadata only and no tensors. */
export function ggufBytes(metadata: Record<string, string>): Uint8Array {
  const head = Buffer.alloc(24);
  head.write('GGUF', 0, 'latin1');
  head.writeUInt32LE(3, 4);
  head.writeBigUInt64LE(0n, 8);
  head.writeBigUInt64LE(BigInt(Object.keys(metadata).length), 16);
  const parts: Buffer[] = [head];
  for (const [k, v] of Object.entries(metadata)) {
    const type = Buffer.alloc(4);
    type.writeUInt32LE(8);
    parts.push(ggufString(k), type, ggufString(v));
  }
  return Buffer.concat(parts);
}
