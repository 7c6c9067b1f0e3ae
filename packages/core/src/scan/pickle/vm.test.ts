import { describe, expect, it } from 'vitest';
import { PickleBuilder } from '#test-support/fixture-builders';
import { type AfterBuild, type PickleEvent, runPickle, type SymValue } from './vm.js';

const names = (events: PickleEvent[]) =>
  events.flatMap((e) => (e.type === 'global' ? [`${e.value.module}.${e.value.name}`] : []));

function dictGet(value: SymValue, key: string): SymValue | undefined {
  if (value.kind !== 'dict') return undefined;
  return value.entries.find(([k]) => k.kind === 'str' && k.value === key)?.[1];
}

/**
 * A joblib-like hook, written from joblib.numpy_pickle.NumpyArrayWrapper.read_array: after the BUILD of a
 * NumpyArrayWrapper, one padding-length byte, that many padding bytes, then shape × itemsize raw bytes.
 */
function joblibLike(target: SymValue, state: SymValue, filePos: number, data: Uint8Array): AfterBuild | undefined {
  if (target.kind !== 'call' || target.callee.kind !== 'global' || target.callee.name !== 'NumpyArrayWrapper') return;
  const shape = dictGet(state, 'shape');
  if (shape?.kind !== 'tuple') return;
  let count = 1n;
  for (const dim of shape.items) if (dim.kind === 'int') count *= dim.value;
  const padding = data[filePos] ?? 0;
  return { skip: 1 + padding + Number(count) * 8, value: { kind: 'unknown', why: 'array' } };
}

/** A NumpyArrayWrapper the way joblib 1.2 pickles it (protocol 4), shape (n,), then the raw array bytes. */
function wrapper(p: PickleBuilder, n: number): PickleBuilder {
  return p
    .unicode('joblib.numpy_pickle')
    .unicode('NumpyArrayWrapper')
    .stackGlobal()
    .emptyTuple()
    .newobj()
    .raw([0x7d]) // EMPTY_DICT
    .mark()
    .unicode('shape')
    .int(n)
    .tuple1()
    .unicode('order')
    .unicode('C')
    .raw([0x75]) // SETITEMS
    .raw([0x62]); // BUILD
}

describe('runPickle: the afterBuild hook (joblib arrays written into the stream)', () => {
  it('skips the raw bytes the loader reads and sees the payload after them', () => {
    // Padding byte 2, two padding bytes, then 3 float64 (24 bytes) whose bytes are not opcodes a VM could read.
    const raw = [2, 0xff, 0xff, ...new Array(24).fill(0xfe)];
    const bytes = wrapper(new PickleBuilder().proto(4).raw([0x5d]).mark(), 3)
      .raw(raw)
      .global('os', 'system')
      .unicode('id')
      .tuple1()
      .reduce()
      .raw([0x65]) // APPENDS
      .stop()
      .bytes();
    const without = runPickle(bytes);
    expect(without.stopped).toBe(false);
    expect(names(without.events)).not.toContain('os.system');
    const run = runPickle(bytes, 0, { afterBuild: joblibLike });
    expect(run.error).toBeUndefined();
    expect(run.stopped).toBe(true);
    expect(names(run.events)).toContain('os.system');
    const skip = run.events.find((e) => e.type === 'skip');
    expect(skip && skip.type === 'skip' && skip.end - skip.start).toBe(27);
    // The array value replaced the wrapper on the stack: the list holds it, then the os.system call.
    expect(run.result?.kind === 'list' && run.result.items.map((v) => v.kind)).toEqual(['unknown', 'call']);
  });

  it('hands the hook the BUILD state with its items, and the int values parsed as CPython does', () => {
    let seen: SymValue | undefined;
    const bytes = wrapper(new PickleBuilder().proto(4), 2)
      .raw([0, ...new Array(16).fill(0)])
      .stop()
      .bytes();
    runPickle(bytes, 0, {
      afterBuild: (target, state, pos, data) => {
        seen = state;
        return joblibLike(target, state, pos, data);
      },
    });
    const shape = seen && dictGet(seen, 'shape');
    expect(shape?.kind === 'tuple' && shape.items).toEqual([{ kind: 'int', value: 2n }]);
  });

  it('reads the raw bytes where pickle.py reads them when a FRAME is still open: after the frame', () => {
    // FRAME covering the wrapper and the opcodes after BUILD; the array bytes follow the frame; then a payload.
    const inner = wrapper(new PickleBuilder(), 1).pop().bytes();
    const bytes = new PickleBuilder()
      .proto(4)
      .frame(inner.length)
      .raw(inner)
      .raw([0, ...new Array(8).fill(0xfe)])
      .global('os', 'system')
      .stop()
      .bytes();
    const run = runPickle(bytes, 0, { afterBuild: joblibLike });
    expect(run.error).toBeUndefined();
    expect(names(run.events)).toContain('os.system');
    const skip = run.events.find((e) => e.type === 'skip');
    expect(skip?.type === 'skip' && skip.start).toBe(11 + inner.length);
  });

  it('runs a nested pickle the loader reads (object arrays) and goes on after its STOP', () => {
    const nested = new PickleBuilder().proto(4).global('subprocess', 'Popen').stop().bytes();
    const bytes = wrapper(new PickleBuilder().proto(4), 1).raw(nested).pop().global('os', 'system').stop().bytes();
    const run = runPickle(bytes, 0, {
      afterBuild: (target, _state, pos) =>
        target.kind === 'call' ? { nested: { start: pos }, value: { kind: 'unknown', why: 'object array' } } : undefined,
    });
    expect(run.error).toBeUndefined();
    const embedded = run.events.find((e) => e.type === 'embedded');
    expect(embedded?.type === 'embedded' && embedded.run && names(embedded.run.events)).toEqual(['subprocess.Popen']);
    expect(names(run.events)).toEqual(['joblib.numpy_pickle.NumpyArrayWrapper', 'os.system']);
  });

  it('a skip past the end of the data ends the stream in an error, never silently', () => {
    const bytes = wrapper(new PickleBuilder().proto(4), 1000).raw([0, 1, 2]).stop().bytes();
    const run = runPickle(bytes, 0, { afterBuild: joblibLike });
    expect(run.stopped).toBe(false);
    expect(run.error?.message).toMatch(/past the end/);
  });
});

describe('runPickle: values', () => {
  it('keeps dict items, tuple items, str/bytes content and exact ints', () => {
    const bytes = new PickleBuilder()
      .proto(2)
      .raw([0x7d])
      .unicode('a')
      .raw('L123456789012345678901234567890L\n')
      .raw([0x73])
      .unicode('b')
      .binbytes(new Uint8Array([1, 2]))
      .raw([0x73])
      .stop()
      .bytes();
    const run = runPickle(bytes);
    expect(run.result).toEqual({
      kind: 'dict',
      length: 2,
      entries: [
        [
          { kind: 'str', value: 'a' },
          { kind: 'int', value: 123456789012345678901234567890n },
        ],
        [
          { kind: 'str', value: 'b' },
          { kind: 'bytes', value: new Uint8Array([1, 2]) },
        ],
      ],
    });
    expect(run.effects).toBe(false);
  });

  it('marks effects: an import is one, pushing data is not', () => {
    expect(runPickle(new PickleBuilder().proto(2).none().stop().bytes()).effects).toBe(false);
    expect(runPickle(new PickleBuilder().proto(2).global('collections', 'OrderedDict').stop().bytes()).effects).toBe(true);
  });
});

describe('runs of constant pushes (NONE, NEWTRUE, NEWFALSE, BININT1, BININT2, BININT)', () => {
  const MAX_STACK = 1_000_000; // MAX_STACK_DEPTH

  it('push the values CPython pushes and count every opcode', () => {
    // PROTO 2, EMPTY_LIST, MARK, 7 constants (BININT1, BININT2, BININT -2, NONE, NEWTRUE, NEWFALSE, BININT -2^31), APPENDS, STOP
    const bytes = [0x80, 2, 0x5d, 0x28, 0x4b, 7, 0x4d, 0x01, 0x02, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x4e, 0x88, 0x89];
    bytes.push(0x4a, 0x00, 0x00, 0x00, 0x80, 0x65, 0x2e);
    const run = runPickle(Uint8Array.from(bytes));
    expect(run.error).toBeUndefined();
    expect(run.opcodes).toBe(12);
    const items = run.result?.kind === 'list' ? run.result.items : [];
    expect(items.map((v) => (v.kind === 'int' ? String(v.value) : v.kind === 'bool' ? String(v.value) : v.kind))).toEqual([
      '7',
      '513',
      '-2',
      'none',
      'true',
      'false',
      '-2147483648',
    ]);
  });

  it('end at a truncated operand with the offset and the end the read needed', () => {
    const bytes = Uint8Array.from([0x80, 2, ...new Array(10).fill(0x4e), 0x4a, 1, 2]);
    const run = runPickle(bytes);
    expect(run.error?.message).toMatch(/truncated/);
    expect(run.error?.offset).toBe(13);
    expect(run.needEnd).toBe(17);
    expect(run.opcodes).toBe(12);
  });

  it('an operand crossing the end of its frame is read on (the C unpickler) and reported', () => {
    // FRAME of 8 bytes: six NONEs, then BININT whose operand runs 3 bytes past the frame, then STOP.
    const bytes = Uint8Array.from([
      0x80, 4, 0x95, 8, 0, 0, 0, 0, 0, 0, 0, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4e, 0x4a, 1, 0, 0, 0, 0x2e,
    ]);
    const run = runPickle(bytes);
    expect(run.stopped).toBe(true);
    expect(run.events.filter((e) => e.type === 'frame-overrun').map((e) => e.offset)).toEqual([17]);
    expect(run.result).toMatchObject({ kind: 'int', value: 1n });
  });

  it('stop at the stack depth limit at the opcode that passes it', () => {
    const bytes = new Uint8Array(2 + MAX_STACK + 2).fill(0x4e);
    bytes[0] = 0x80;
    bytes[1] = 2;
    bytes[bytes.length - 1] = 0x2e;
    const run = runPickle(bytes);
    expect(run.error?.message).toBe('limit MAX_STACK_DEPTH reached');
    expect(run.events.find((e) => e.type === 'limit')).toMatchObject({ offset: 2 + MAX_STACK, opcodeIndex: MAX_STACK + 1 });
  });
});
