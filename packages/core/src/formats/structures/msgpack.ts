/**
 * MessagePack (Flax `flax_model.msgpack`, msgpack-serialised state dicts) and UBJSON (XGBoost `.ubj`), walked as
 * their readers read them: one top-level value that must fill the file exactly (msgpack's `unpackb` raises
 * ExtraData on trailing bytes; XGBoost reads one document), containers counted, strings/binaries/ext payloads and
 * typed arrays stepped over by their length without being copied. Neither format can name code: the values are
 * numbers, strings, bytes and containers (Flax restores arrays from ext payloads with `np.frombuffer`).
 */
import { invalid, limit, type Window } from './window.js';

/** Container nesting accepted: Flax state trees nest a dozen levels; XGBoost models fewer. */
export const MAX_SERIAL_DEPTH = 512;
/** Values walked in one document: bounds work on hostile counts (each value costs at least one byte anyway). */
export const MAX_SERIAL_VALUES = 50_000_000;

interface Frame {
  /** Values still to read in this container (-1: until an end marker, UBJSON only). */
  left: number;
  /** UBJSON typed container: the element type marker, or 0. */
  type: number;
  /** UBJSON object: a key is read before each value. */
  object: boolean;
}

/**
 * Walks one msgpack document; returns its top-level type ('map', 'array' or 'scalar'). Throws FORMAT_INVALID when
 * the bytes are not exactly one msgpack value, LIMIT_EXCEEDED past the limits.
 */
export async function walkMsgpack(w: Window): Promise<'map' | 'array' | 'scalar'> {
  const stack: number[] = [];
  let pos = 0;
  let values = 0;
  let top: 'map' | 'array' | 'scalar' | undefined;
  const u = async (p: number, n: 1 | 2 | 4): Promise<number> => {
    const v = await w.view(p, n);
    return n === 1 ? v.getUint8(0) : n === 2 ? v.getUint16(0, false) : v.getUint32(0, false);
  };
  const container = (count: number, kind: 'map' | 'array') => {
    top ??= kind;
    const items = kind === 'map' ? count * 2 : count;
    // Every item takes at least one byte: a count beyond the bytes left cannot be real.
    if (items > w.size - pos) throw invalid('msgpack', `${kind} of ${count} entries runs past the end`, { offset: pos });
    if (items > 0) {
      if (stack.length >= MAX_SERIAL_DEPTH) throw limit('msgpack', 'nesting', 'MAX_SERIAL_DEPTH');
      stack.push(items);
    }
  };
  do {
    if (++values > MAX_SERIAL_VALUES) throw limit('msgpack', 'values', 'MAX_SERIAL_VALUES');
    if (stack.length > 0) stack[stack.length - 1] = (stack[stack.length - 1] as number) - 1;
    const b = await w.u8(pos);
    const start = pos;
    pos += 1;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      // fixint, negative fixint, nil, false, true
    } else if (b >= 0x80 && b <= 0x8f) container(b & 0x0f, 'map');
    else if (b >= 0x90 && b <= 0x9f) container(b & 0x0f, 'array');
    else if (b >= 0xa0 && b <= 0xbf) pos += b & 0x1f;
    else if (b === 0xc1) throw invalid('msgpack', 'reserved byte 0xc1', { offset: start });
    else if (b === 0xc4 || b === 0xd9) pos += 1 + (await u(pos, 1));
    else if (b === 0xc5 || b === 0xda) pos += 2 + (await u(pos, 2));
    else if (b === 0xc6 || b === 0xdb) pos += 4 + (await u(pos, 4));
    else if (b === 0xc7) pos += 2 + (await u(pos, 1));
    else if (b === 0xc8) pos += 3 + (await u(pos, 2));
    else if (b === 0xc9) pos += 5 + (await u(pos, 4));
    else if (b === 0xca) pos += 4;
    else if (b === 0xcb) pos += 8;
    else if (b >= 0xcc && b <= 0xcf) pos += 2 ** (b - 0xcc);
    else if (b >= 0xd0 && b <= 0xd3) pos += 2 ** (b - 0xd0);
    else if (b >= 0xd4 && b <= 0xd8) pos += 1 + 2 ** (b - 0xd4);
    else if (b === 0xdc || b === 0xde) {
      const n = await u(pos, 2);
      pos += 2;
      container(n, b === 0xdc ? 'array' : 'map');
    } else if (b === 0xdd || b === 0xdf) {
      const n = await u(pos, 4);
      pos += 4;
      container(n, b === 0xdd ? 'array' : 'map');
    }
    top ??= 'scalar';
    if (pos > w.size) throw invalid('msgpack', 'value runs past the end of the file', { offset: start });
    while (stack.length > 0 && stack[stack.length - 1] === 0) stack.pop();
  } while (stack.length > 0);
  if (pos !== w.size) throw invalid('msgpack', `${w.size - pos} bytes after the top-level value`, { offset: pos });
  return top ?? 'scalar';
}

/** UBJSON fixed-size value markers and their byte sizes (Draft 12, as XGBoost writes and reads it). */
const UBJ_FIXED: Readonly<Record<number, number>> = {
  90: 0, // Z null
  78: 0, // N no-op
  84: 0, // T true
  70: 0, // F false
  105: 1, // i int8
  85: 1, // U uint8
  73: 2, // I int16
  108: 4, // l int32
  76: 8, // L int64
  100: 4, // d float32
  68: 8, // D float64
  67: 1, // C char
};

/** Walks one UBJSON document whose top level must be an object; throws FORMAT_INVALID / LIMIT_EXCEEDED. */
export async function walkUbjson(w: Window): Promise<void> {
  let pos = 0;
  let values = 0;
  const stack: Frame[] = [];
  const readInt = async (): Promise<number> => {
    const marker = await w.u8(pos);
    const size = UBJ_FIXED[marker];
    if (![0x69, 0x55, 0x49, 0x6c, 0x4c].includes(marker) || size === undefined)
      throw invalid('ubjson', 'expected an integer length', { offset: pos });
    const v = await w.view(pos + 1, size);
    pos += 1 + size;
    const n =
      marker === 0x69
        ? v.getInt8(0)
        : marker === 0x55
          ? v.getUint8(0)
          : marker === 0x49
            ? v.getInt16(0, false)
            : marker === 0x6c
              ? v.getInt32(0, false)
              : Number(v.getBigInt64(0, false));
    if (n < 0 || !Number.isSafeInteger(n)) throw invalid('ubjson', 'negative or huge length', { offset: pos });
    return n;
  };
  const skipString = async () => {
    const n = await readInt();
    if (pos + n > w.size) throw invalid('ubjson', 'string runs past the end', { offset: pos });
    pos += n;
  };
  /** Reads a value of type `marker` (already consumed). */
  const value = async (marker: number) => {
    if (++values > MAX_SERIAL_VALUES) throw limit('ubjson', 'values', 'MAX_SERIAL_VALUES');
    const fixed = UBJ_FIXED[marker];
    if (fixed !== undefined) {
      pos += fixed;
      return;
    }
    if (marker === 0x53 || marker === 0x48) return skipString(); // S string, H high-precision number
    if (marker !== 0x5b && marker !== 0x7b)
      throw invalid('ubjson', `unknown marker 0x${marker.toString(16)}`, { offset: pos - 1 });
    // Container: optional $type, optional #count.
    let type = 0;
    let count = -1;
    if ((await w.u8(pos)) === 0x24) {
      type = await w.u8(pos + 1);
      pos += 2;
      if ((await w.u8(pos)) !== 0x23) throw invalid('ubjson', 'typed container without a count', { offset: pos });
    }
    if ((await w.u8(pos)) === 0x23) {
      pos += 1;
      count = await readInt();
    }
    const object = marker === 0x7b;
    const fixedSize = type !== 0 ? UBJ_FIXED[type] : undefined;
    if (!object && fixedSize !== undefined) {
      // A typed array of fixed-size values (XGBoost's weights): stepped over in one go, zero-size types cost nothing.
      pos += count * fixedSize;
      if (pos > w.size) throw invalid('ubjson', 'typed array runs past the end', { offset: pos });
      return;
    }
    if (count > w.size - pos) throw invalid('ubjson', 'container count runs past the end', { offset: pos });
    if (stack.length >= MAX_SERIAL_DEPTH) throw limit('ubjson', 'nesting', 'MAX_SERIAL_DEPTH');
    stack.push({ left: count, type, object });
  };
  if ((await w.u8(0)) !== 0x7b) throw invalid('ubjson', 'top-level value is not an object');
  pos = 1;
  await value(0x7b);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.left === 0) {
      stack.pop();
      continue;
    }
    if (frame.left < 0) {
      let marker = await w.u8(pos);
      while (marker === 0x4e) marker = await w.u8(++pos); // no-op padding
      if (marker === (frame.object ? 0x7d : 0x5d)) {
        pos += 1;
        stack.pop();
        continue;
      }
    } else frame.left--;
    if (frame.object) await skipString(); // keys are strings without the S marker
    if (frame.type !== 0) await value(frame.type);
    else {
      const marker = await w.u8(pos);
      pos += 1;
      await value(marker);
    }
    if (pos > w.size) throw invalid('ubjson', 'value runs past the end of the file', { offset: pos });
  }
  if (pos !== w.size) throw invalid('ubjson', `${w.size - pos} bytes after the top-level object`, { offset: pos });
}
