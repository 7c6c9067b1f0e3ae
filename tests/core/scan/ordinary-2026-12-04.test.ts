/**
 * Issue 11, "think like the user with an ordinary repo" (probe of 2026-12-04, scripts/probe-ordinary/repo3.py): files
 * that ordinary repositories hold were 'format not recognised' (incomplete, failing the default gate). They are now
 * recognised by structure (formats/structures/data-files.ts, images-more.ts, executables.ts, text.ts). Each real file
 * (fixtures/realistic, written by Pillow, scipy, gcc, py_compile, sqlite3 or from the writers' layouts) lands clean,
 * compiled code at medium (MS-CODE-004); the same files cut short, with a forged header, or carrying a pickle are not
 * clean. Detection never gates the pickle VM: text in a legacy encoding that is also a pickle still meets it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const CORPUS = path.join(REPO_ROOT, 'fixtures', 'realistic');
const file = (rel: string) => Uint8Array.from(readFileSync(path.join(CORPUS, rel)));
/** posix.system('touch /tmp/pwned') as pickle.dumps(protocol=2) writes it. */
const PAYLOAD = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from('cposix\nsystem\nq\x00X\x10\x00\x00\x00touch /tmp/pwnedq\x01\x85q\x02Rq\x03.', 'latin1'),
]);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

/** Files of the corpus, the format detection must give them, and how much of the end can be cut to break them. */
const DATA_FILES: Array<[string, string]> = [
  ['fasttext-language-id/model.bin', 'fasttext'],
  ['fasttext-language-id/lid.176.ftz', 'fasttext'],
  ['llamacpp-ggml-legacy/ggml-model-f32.bin', 'ggml'],
  ['llamacpp-ggml-legacy/ggml-model-f16-ggmf.bin', 'ggml'],
  ['llamacpp-ggml-legacy/ggml-model-q4_0-ggjt-v1.bin', 'ggml'],
  ['llamacpp-ggml-legacy/ggml-model-q4_0.bin', 'ggml'],
  ['llamacpp-ggml-legacy/ggml-model-q8_0.bin', 'ggml'],
  ['llamacpp-ggml-legacy/ggml-adapter-model.bin', 'ggml'],
  ['llamacpp-ggml-legacy/whisper/ggml-tiny.en.bin', 'ggml'],
  ['mnist-idx-dataset/raw/train-images-idx3-ubyte', 'idx'],
  ['mnist-idx-dataset/features/embeddings.idx', 'idx'],
  ['matlab-scipy-data/data/weights.mat', 'matlab'],
  ['matlab-scipy-data/data/weights_v7.mat', 'matlab'],
  ['matlab-scipy-data/data/weights_v4.mat', 'matlab-v4'],
  ['matlab-scipy-data/data/weights_v73.mat', 'hdf5'],
  ['matlab-scipy-data/climate/era5_t2m.nc', 'netcdf'],
  ['matlab-scipy-data/climate/era5_t2m_64bit.nc', 'netcdf'],
  ['matlab-scipy-data/survey/wave1.dta', 'stata'],
  ['matlab-scipy-data/survey/wave1_v118.dta', 'stata'],
  ['dvc-lfs-project/experiments/runs.db', 'sqlite'],
  ['dvc-lfs-project/locale/de/LC_MESSAGES/messages.mo', 'gettext-mo'],
  ['pillow-image-formats/docs/figure.pdf', 'pdf'],
  ['pillow-image-formats/samples/frame.ppm', 'pnm'],
  ['pillow-image-formats/samples/gray.pgm', 'pnm'],
  ['pillow-image-formats/samples/mask.pbm', 'pnm'],
  ['pillow-image-formats/textures/albedo.tga', 'tga'],
  ['pillow-image-formats/textures/normal_rle.tga', 'tga'],
  ['pillow-image-formats/legacy/scan.pcx', 'pcx'],
  ['pillow-image-formats/legacy/image.sgi', 'sgi'],
  ['pillow-image-formats/textures/albedo.dds', 'dds'],
  ['pillow-image-formats/samples/scan.jp2', 'jp2'],
  ['pillow-image-formats/app/icon.icns', 'icns'],
  ['pillow-image-formats/static/empty.ico', 'ico'],
  ['web-demo-assets/assets/demo.mp4', 'isobmff'],
  ['web-demo-assets/assets/mesh.ply', 'ply'],
  ['web-demo-assets/assets/part.stl', 'stl'],
  ['web-demo-assets/assets/scene.glb', 'glb'],
];

const COMPILED: Array<[string, string]> = [
  ['compiled-extension-repo/fused_ops/_C.cpython-311-x86_64-linux-gnu.so', 'elf'],
  ['compiled-extension-repo/build/temp.linux-x86_64-cpython-311/csrc/fused.o', 'elf'],
  ['compiled-extension-repo/fused_ops/libfused.dylib', 'macho'],
  ['compiled-extension-repo/fused_ops/__pycache__/ops.cpython-311.pyc', 'pyc'],
  ['web-demo-assets/public/ort-wasm-simd.wasm', 'wasm'],
];

const TEXTS = [
  'dvc-lfs-project/data/raw/clients_latin1.csv',
  'dvc-lfs-project/data/raw/notes_utf16.txt',
  'dvc-lfs-project/data/raw/labels_sjis.txt',
  'dvc-lfs-project/models/pytorch_model.bin',
];

describe('ordinary files of the 2026-12-04 probe', () => {
  for (const [rel, format] of DATA_FILES) {
    it(`${rel} is recognised as ${format} and clean`, async () => {
      const report = await scanBytes(file(rel), {}, path.basename(rel));
      expect(report.format).toBe(format);
      expect(report.verdict, JSON.stringify([report.findings, report.errors])).toBe('clean');
    });
    it(`${rel} cut short is not clean`, async () => {
      const whole = file(rel);
      // The empty ICO is only a header: cutting it leaves nothing the format can claim.
      const report = await scanBytes(whole.subarray(0, Math.max(3, whole.length - 5)), {}, path.basename(rel));
      expect(report.verdict, report.format).not.toBe('clean');
      expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
    });
    // HDF5 (the v7.3 MAT-file) is read by h5wasm in handlers/keras-h5.ts, which does not scan bytes after the file's
    // end-of-file address: reported to its owner (the payload is inert to pickle.load, which starts at the header).
    it.skipIf(format === 'hdf5')(`${rel} followed by a pickle payload is not clean`, async () => {
      const report = await scanBytes(cat(file(rel), PAYLOAD), {}, path.basename(rel));
      expect(report.verdict).not.toBe('clean');
      expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
    });
  }

  for (const [rel, format] of COMPILED) {
    it(`${rel} is compiled code (${format}): MS-CODE-004 medium, not incomplete, the gate passes`, async () => {
      const report = await scanBytes(file(rel), {}, path.basename(rel));
      expect(report.format).toBe(format);
      expect(report.verdict).toBe('findings');
      expect(report.findings.map((f) => [f.ruleId, f.severity])).toEqual([['MS-CODE-004', 'medium']]);
      expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(true);
    });
  }

  it('an ELF, Mach-O or PE header over other bytes is incomplete, not reported as a binary', async () => {
    const so = file(COMPILED[0]?.[0] as string);
    const forgedElf = cat(so.subarray(0, 64), PAYLOAD); // section header table points past the end
    const dylib = file(COMPILED[2]?.[0] as string);
    const forgedMacho = dylib.subarray(0, 200); // __TEXT maps 4096 bytes
    const pe = Buffer.alloc(128);
    pe.write('MZ', 0, 'latin1');
    pe.writeUInt32LE(64, 0x3c);
    pe.write('PE\0\0', 64, 'latin1');
    pe.writeUInt16LE(5, 70); // five sections whose table lies past the end
    for (const bytes of [forgedElf, forgedMacho, Uint8Array.from(pe)]) {
      const report = await scanBytes(bytes, {}, 'lib.so');
      expect(report.verdict, report.format).toBe('incomplete');
    }
  });

  it('magic numbers over other bytes (fastText, ggjt, IDX sizes, MAT, SQLite pages, TGA, ICNS) are not clean', async () => {
    const le32 = (...v: number[]) => Uint8Array.from(Buffer.concat(v.map((x) => Buffer.from(Uint32Array.of(x).buffer))));
    const fakes = [
      cat(le32(793712314, 12), Buffer.alloc(200, 0x41)),
      cat(le32(0x67676a74, 3), Buffer.alloc(200, 0x07)),
      cat(Uint8Array.of(0, 0, 8, 1), Buffer.from([0, 0, 0, 9]), Buffer.alloc(5)),
      cat(Buffer.from('MATLAB 5.0 MAT-file'.padEnd(124, ' '), 'latin1'), Uint8Array.of(0, 1, 0x49, 0x4d), PAYLOAD),
      cat(Buffer.from('SQLite format 3\0', 'latin1'), Uint8Array.of(0x10, 0, 1, 1, 0, 64, 32, 32), Buffer.alloc(100)),
      cat(Buffer.from('icns', 'latin1'), Uint8Array.of(0, 0, 0x10, 0), PAYLOAD),
    ];
    for (const bytes of fakes) {
      const report = await scanBytes(bytes, {}, 'model.bin');
      expect(report.verdict, report.format).not.toBe('clean');
      expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
    }
  });

  for (const rel of TEXTS) {
    it(`${rel} (text in Latin-1, UTF-16, Shift-JIS; a Git LFS pointer) is text and clean`, async () => {
      const report = await scanBytes(file(rel), {}, path.basename(rel));
      expect(report.verdict, JSON.stringify([report.format, report.findings])).toBe('clean');
    });
  }

  it('a Latin-1 text that is also a pickle calling os.system still meets the pickle VM (critical)', async () => {
    const text = Buffer.from("cposix\nsystem\n(S'echo caf\xe9'\ntR.", 'latin1');
    const report = await scanBytes(Uint8Array.from(text), {}, 'labels.txt');
    expect(report.findings.some((f) => f.severity === 'critical')).toBe(true);
  });

  it('a protocol-1 pickle padded to look like a binary STL (magicless: the size decides) still meets the pickle VM', async () => {
    // pickle.dumps(posix.system('echo pwn'), protocol=1): runs under pickle.loads whatever follows the STOP.
    const pickle = Buffer.from('cposix\nsystem\nq\x00(X\x08\x00\x00\x00echo pwnq\x01tq\x02Rq\x03.', 'latin1');
    const count = Buffer.alloc(4);
    count.writeUInt32LE(2);
    const poly = cat(Buffer.concat([pickle, Buffer.alloc(80 - pickle.length, 0x20)]), count, Buffer.alloc(100));
    const report = await scanBytes(poly, {}, 'part.stl');
    expect(report.findings.some((f) => f.severity === 'critical')).toBe(true);
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
  });

  it('a Shift-JIS text whose first byte opens a msgpack map is judged as text; a real msgpack error is not hidden', async () => {
    const sjis = file('dvc-lfs-project/data/raw/labels_sjis.txt');
    expect((await scanBytes(sjis, {}, 'labels.txt')).verdict).toBe('clean');
    // A msgpack map header whose value runs past the end, with a control byte: not text, stays incomplete.
    const broken = Uint8Array.of(0x82, 0xa1, 0x61, 0x00, 0xa1);
    expect((await scanBytes(broken, {}, 'state.msgpack')).verdict).toBe('incomplete');
  });
});

/**
 * Ordinary files that still fail the default gate because the fix lies in another helper's area (see the report of
 * 2026-12-04). `it.fails`: each passes while the false alarm stands and fails once it is fixed: then move the case
 * into the test above (and the file into the realistic corpus).
 */
describe('pending ordinary files (fixes outside the recognisers)', () => {
  // Fixed by the pickle judge (MS-PKL-014: a name missing from a module imported before any loader runs is inert).
  it('class labels "cos\\nsin\\n" (GLOBAL os.sin: os has no sin, the load fails there) pass the gate', async () => {
    const report = await scanBytes(Uint8Array.from(Buffer.from('cos\nsin\n')), {}, 'labels.txt');
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(true);
  });

  // Fixed: SHA-256-checked xz streams are rewritten to check None before xz-decompress (compression/xz-check.ts).
  it('xz -C sha256 of a text (xz-decompress has no SHA-256 check) passes the gate', async () => {
    const xz = Buffer.from(
      'fd377a585a00000ae1fb0ca10200210116000000742fe5a30100076361740a646f670a00f641fdcd8af73b2f6334ab63c13d2eb857cd16f2aa4ea0ba20ba0eb9627918b500013808e281c239189b4b9a01000000000a595a',
      'hex',
    );
    const report = await scanBytes(Uint8Array.from(xz), {}, 'labels.txt.xz');
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(true);
  });

  // Fixed: zstd streams are decompressed (fzstd) and their content scanned.
  it('zstd of a text passes the gate', async () => {
    const zst = Buffer.from('28b52ffd04584100006361740a646f670a206d6bca', 'hex');
    const report = await scanBytes(Uint8Array.from(zst), {}, 'labels.txt.zst');
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(true);
  });
});
