/**
 * Pickle scanning speed and memory, on the path users run:
 * (a) an opcode-heavy ~20 MB pickle (about 13 million opcodes) scanned by a whole `modelsec scan FILE --format json`
 *     CLI run (process start, detection, every reading, the report's SHA-256), against Python's
 *     `pickletools.genops` over the same file in the same run (a whole `python3 -c` run: the cheapest walk of the
 *     opcodes Python has). Target: the CLI at least 10x faster; its peak RSS under 300 MB. The same figures for a
 *     state-dict-like pickle of the same size (strings dominate) are printed for information.
 * (b) a 2 GB PyTorch zip checkpoint (sparse file: tensor bytes cost no disk) scanned by a whole CLI run, the
 *     report's SHA-256 of the 2 GB included, against `openssl dgst -sha256` over the same file in the same run:
 *     at most 1.5x (reading the zip adds little to hashing; start-up included), peak RSS under 300 MB.
 */
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { type BenchOptions, type BenchResult, PYTHON, round, runCli, runTimedChild, target } from './lib.js';

/**
 * An opcode-heavy pickle: what `pickle.dumps(a_long_list, protocol=4)` writes for a list of small ints, None and
 * booleans (one or two bytes per opcode), appended in batches of 1000 as pickle.py's _batch_appends writes them,
 * with an allowlisted global referenced now and then. About 1.6 bytes per opcode: the most work per byte for any
 * opcode walker.
 */
function opcodeDensePickle(targetBytes: number): { bytes: Uint8Array; opcodes: number } {
  const out = Buffer.alloc(targetBytes + 256);
  let pos = 0;
  let opcodes = 0;
  out[pos++] = 0x80;
  out[pos++] = 4;
  out[pos++] = 0x5d; // EMPTY_LIST
  out[pos++] = 0x94; // MEMOIZE
  out[pos++] = 0x28; // MARK
  opcodes += 4;
  const global = Buffer.from('\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94', 'latin1');
  let n = 0;
  while (pos < targetBytes) {
    const kind = n % 4;
    if (kind === 0 || kind === 2) {
      out[pos++] = 0x4b; // BININT1
      out[pos++] = n & 0xff;
    } else if (kind === 1)
      out[pos++] = 0x4e; // NONE
    else out[pos++] = n & 8 ? 0x88 : 0x89; // NEWTRUE / NEWFALSE
    opcodes++;
    if (n % 1000 === 999) {
      out[pos++] = 0x65; // APPENDS
      out[pos++] = 0x28; // MARK
      opcodes += 2;
      if (n % 64_000 === 63_999) {
        // An allowlisted global, referenced as data (SHORT_BINUNICODE x2 with MEMOIZE, STACK_GLOBAL, MEMOIZE).
        global.copy(out, pos);
        pos += global.length;
        opcodes += 6;
      }
    }
    n++;
  }
  out[pos++] = 0x65; // APPENDS
  out[pos++] = 0x2e; // STOP
  opcodes += 2;
  return { bytes: new Uint8Array(out.buffer, out.byteOffset, pos), opcodes };
}

/** A state-dict-like pickle: a list of (key, int, int) tuples appended in batches of 1000, with allowlisted globals
 * sprinkled in (about 10 bytes per opcode: strings dominate). */
function stateDictLikePickle(targetBytes: number): { bytes: Uint8Array; opcodes: number } {
  const out = Buffer.alloc(targetBytes + 256);
  let pos = 0;
  let opcodes = 0;
  out[pos++] = 0x80;
  out[pos++] = 4;
  out[pos++] = 0x5d; // EMPTY_LIST
  out[pos++] = 0x28; // MARK
  opcodes += 3;
  const global = Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n');
  let n = 0;
  while (pos < targetBytes) {
    const key = `encoder.layer.${n % 997}.attn.weight`;
    out[pos++] = 0x8c;
    out[pos++] = key.length;
    pos += out.write(key, pos, 'latin1');
    out[pos++] = 0x4b; // BININT1
    out[pos++] = n & 0xff;
    out[pos++] = 0x4a; // BININT
    out.writeInt32LE(n, pos);
    pos += 4;
    out[pos++] = 0x86; // TUPLE2
    opcodes += 4;
    if (n % 1000 === 999) {
      // Batches of 1000, as pickle.py's _batch_appends writes them.
      out[pos++] = 0x65; // APPENDS
      out[pos++] = 0x28; // MARK
      opcodes += 2;
    }
    if (n % 64 === 0) {
      global.copy(out, pos);
      pos += global.length;
      out[pos++] = 0x30; // POP
      opcodes += 2;
    }
    n++;
  }
  out[pos++] = 0x65; // APPENDS
  out[pos++] = 0x2e; // STOP
  opcodes += 2;
  return { bytes: new Uint8Array(out.buffer, out.byteOffset, pos), opcodes };
}

function u16(n: number) {
  return [n & 0xff, (n >>> 8) & 0xff];
}
function u32(n: number) {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function u64(n: number) {
  return [...u32(n % 2 ** 32), ...u32(Math.floor(n / 2 ** 32))];
}

/** Writes a zip64 PyTorch checkpoint: archive/data.pkl, then one stored tensor member of `tensorBytes` (sparse). */
function writeSparseCheckpoint(file: string, pickle: Uint8Array, tensorBytes: number): void {
  const fd = openSync(file, 'w');
  try {
    const enc = new TextEncoder();
    const entries: { name: Uint8Array; offset: number; size: number }[] = [];
    let pos = 0;
    const write = (bytes: Uint8Array | number[]) => {
      const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
      writeSync(fd, b, 0, b.length, pos);
      pos += b.length;
    };
    const pickleCrc = crc32(pickle) >>> 0;
    const local = (name: Uint8Array, size: number, zip64: boolean) => [
      ...u32(0x04034b50),
      ...u16(45),
      ...u16(0),
      ...u16(0),
      ...u16(0),
      ...u16(0x21),
      ...u32(zip64 ? 0 : pickleCrc),
      ...u32(zip64 ? 0xffffffff : size),
      ...u32(zip64 ? 0xffffffff : size),
      ...u16(name.length),
      ...u16(zip64 ? 20 : 0),
      ...name,
      ...(zip64 ? [...u16(1), ...u16(16), ...u64(size), ...u64(size)] : []),
    ];
    const pklName = enc.encode('archive/data.pkl');
    entries.push({ name: pklName, offset: pos, size: pickle.length });
    write(local(pklName, pickle.length, false));
    write(pickle);
    const tensorName = enc.encode('archive/data/0');
    entries.push({ name: tensorName, offset: pos, size: tensorBytes });
    write(local(tensorName, tensorBytes, true));
    pos += tensorBytes; // sparse: never written
    const cdStart = pos;
    for (const e of entries) {
      const big = e.size >= 0xffffffff || e.offset >= 0xffffffff;
      write([
        ...u32(0x02014b50),
        ...u16(45),
        ...u16(45),
        ...u16(0),
        ...u16(0),
        ...u16(0),
        ...u16(0x21),
        ...u32(big ? 0 : pickleCrc),
        ...u32(big ? 0xffffffff : e.size),
        ...u32(big ? 0xffffffff : e.size),
        ...u16(e.name.length),
        ...u16(big ? 28 : 0),
        ...u16(0),
        ...u16(0),
        ...u16(0),
        ...u32(0),
        ...u32(big ? 0xffffffff : e.offset),
        ...e.name,
        ...(big ? [...u16(1), ...u16(24), ...u64(e.size), ...u64(e.size), ...u64(e.offset)] : []),
      ]);
    }
    const cdSize = pos - cdStart;
    const eocd64 = pos;
    write([
      ...u32(0x06064b50),
      ...u64(44),
      ...u16(45),
      ...u16(45),
      ...u32(0),
      ...u32(0),
      ...u64(entries.length),
      ...u64(entries.length),
      ...u64(cdSize),
      ...u64(cdStart),
    ]);
    write([...u32(0x07064b50), ...u32(0), ...u64(eocd64), ...u32(1)]);
    write([
      ...u32(0x06054b50),
      ...u16(0),
      ...u16(0),
      ...u16(0xffff),
      ...u16(0xffff),
      ...u32(0xffffffff),
      ...u32(0xffffffff),
      ...u16(0),
    ]);
  } finally {
    closeSync(fd);
  }
}

/** Python's genops over a file: one whole process, printing the opcode count. */
const GENOPS =
  'import pickletools, sys\ndata = open(sys.argv[1], "rb").read()\nn = 0\nfor _ in pickletools.genops(data):\n    n += 1\nprint(n)';

/** For checks outside the bench (e.g. that Python loads them). */
export const PICKLES = { opcodeDensePickle, stateDictLikePickle };

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const tmp = os.tmpdir();
  // (a) opcode-heavy pickles through the CLI, against genops over the same file in the same run.
  const size = opts.quick ? 4 * 1024 * 1024 : 20 * 1024 * 1024;
  for (const [label, make, targeted] of [
    ['opcode-heavy (small ints, None, booleans)', opcodeDensePickle, true],
    ['state-dict-like (keys and ints; informational)', stateDictLikePickle, false],
  ] as const) {
    const { bytes, opcodes } = make(size);
    const pickleFile = path.join(tmp, `modelsec-bench-opcodes-${process.pid}.pkl`);
    try {
      writeFileSync(pickleFile, bytes);
      // Warm the page cache and both runtimes once, then alternate: best of 3 each (peak RSS: the worst seen).
      let cli = await runCli(['scan', pickleFile, '--format', 'json']);
      let genops = await runTimedChild(PYTHON, ['-c', GENOPS, pickleFile]);
      let peakMb = cli.peakMb;
      for (let i = 0; i < 3; i++) {
        const c = await runCli(['scan', pickleFile, '--format', 'json']);
        const g = await runTimedChild(PYTHON, ['-c', GENOPS, pickleFile]);
        peakMb = Math.max(peakMb, c.peakMb);
        if (c.seconds < cli.seconds || i === 0) cli = c;
        if (g.seconds < genops.seconds || i === 0) genops = g;
      }
      const report = JSON.parse(cli.stdout) as { files: { verdict: string }[] };
      const speedup = genops.seconds / cli.seconds;
      const mb = bytes.length / (1024 * 1024);
      results.push({
        name: `pickle: ${label}, whole \`modelsec scan --format json\` run vs pickletools.genops`,
        targets: targeted
          ? [
              target('speed-up genops / CLI', round(speedup, 1), '>=', 10),
              target('CLI peak RSS MB', peakMb, '<', 300),
              target('verdict', report.files[0]?.verdict ?? 'none', '==', 'clean'),
              target('genops opcodes equal', Number(genops.stdout.trim()), '==', opcodes),
            ]
          : [],
        figures: {
          'size MB': round(mb, 1),
          opcodes,
          ...(targeted
            ? {}
            : {
                'genops opcodes': Number(genops.stdout.trim()),
                'verdict (expect clean)': report.files[0]?.verdict ?? 'none',
                'speed-up genops / CLI': round(speedup, 1),
                'CLI peak RSS MB': peakMb,
              }),
          'CLI scan s (incl. start-up, hashing)': round(cli.seconds, 3),
          'CLI MB/s': round(mb / cli.seconds, 1),
          'CLI exit code (expect 0)': cli.code ?? 'signal',
          'baseline python genops s (incl. start-up)': round(genops.seconds, 3),
        },
      });
    } finally {
      rmSync(pickleFile, { force: true });
    }
  }

  // (b) 2 GB sparse PyTorch zip checkpoint through the CLI, the report's SHA-256 of all 2 GB included, against
  // `openssl dgst -sha256` over the same file (one stream: the scan hashes one file on one core).
  const file = path.join(tmp, `modelsec-bench-pickle-${process.pid}.pt`);
  const statePickle = stateDictLikePickle(256 * 1024).bytes;
  const tensorBytes = opts.quick ? 256 * 1024 * 1024 : 2 * 1024 * 1024 * 1024;
  try {
    writeSparseCheckpoint(file, statePickle, tensorBytes);
    let scan = await runCli(['scan', file, '--format', 'json']);
    let openssl = await runTimedChild('openssl', ['dgst', '-sha256', '-r', file]);
    let peakMb = scan.peakMb;
    for (let i = 0; i < 3; i++) {
      const c = await runCli(['scan', file, '--format', 'json']);
      const o = await runTimedChild('openssl', ['dgst', '-sha256', '-r', file]);
      peakMb = Math.max(peakMb, c.peakMb);
      if (c.seconds < scan.seconds || i === 0) scan = c;
      if (o.seconds < openssl.seconds || i === 0) openssl = o;
    }
    const report = JSON.parse(scan.stdout) as { files: { verdict: string; sha256?: string; findings?: { ruleId: string }[] }[] };
    const scanned = report.files[0];
    const opensslDigest = openssl.stdout.trim().split(/\s+/)[0];
    const ratio = scan.seconds / openssl.seconds;
    results.push({
      name: 'pickle: PyTorch zip checkpoint (sparse, almost all tensor bytes), whole `modelsec scan --format json` run vs openssl dgst -sha256 of the file',
      targets: [
        target('ratio CLI scan / openssl dgst', round(ratio, 2), '<=', 1.5),
        target('CLI peak RSS MB', peakMb, '<', 300),
        target('verdict', scanned?.verdict ?? 'none', '==', 'clean'),
        target('report sha256 equals openssl', scanned?.sha256 === opensslDigest, '==', true),
      ],
      figures: {
        'file GB': round((tensorBytes + statePickle.length) / 1024 ** 3, 2),
        'pickle KB': round(statePickle.length / 1024, 1),
        'CLI scan s (best of 3, incl. start-up, hashing)': round(scan.seconds, 3),
        'openssl dgst -sha256 s (best of 3)': round(openssl.seconds, 3),
        'findings (expect none)': scanned?.findings?.map((f) => f.ruleId).join(',') || 'none',
      },
    });
  } finally {
    rmSync(file, { force: true });
  }
  return results;
}
