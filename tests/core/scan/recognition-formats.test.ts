/**
 * Format confusion and recognition by structure (issue 11): each class an attacker used to make detection read a
 * file differently from its loader, caught, with a benign twin that is clean; the data formats of ordinary repos
 * recognised by structure (and refused when their structure does not hold); companions recognised only when the
 * manifest accounts for their size. All through the engine entry (scanFile / scanPaths on temp files).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileReport, scanFile, scanPaths } from '@modelsec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32, maskedCrc32c } from '../../../packages/core/src/formats/structures/crc.js';
import { PickleBuilder, writeZip } from '../../helpers/fixture-builders.js';

const root = mkdtempSync(join(tmpdir(), 'modelsec-recognition-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function place(files: Record<string, string | Uint8Array>): string {
  const dir = join(root, String(n++));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}
async function scanOne(name: string, content: string | Uint8Array): Promise<FileReport> {
  return scanFile(join(place({ [name]: content }), name));
}
const active = (r: FileReport) => r.findings.filter((f) => !f.suppressed);
const rules = (r: FileReport) => active(r).map((f) => `${f.ruleId}:${f.severity}`);
const top = (r: FileReport) => active(r)[0]?.severity;

// ── protobuf writers ──
function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const pbInt = (field: number, value: number | bigint) => Buffer.from([...varint(field * 8), ...varint(value)]);
const pbBytes = (field: number, value: Uint8Array | string) => {
  const b = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
  return Buffer.concat([Buffer.from([...varint(field * 8 + 2), ...varint(b.length)]), b]);
};
const pb = (...parts: Uint8Array[]) => Buffer.concat(parts);

const OS_SYSTEM = new PickleBuilder().proto(2).global('posix', 'system').unicode('echo pwned').tuple1().reduce().stop().bytes();

// ── ONNX ──
function onnxModel(location: string | undefined, irFirst: boolean): Uint8Array {
  const initializer = pb(
    pbInt(1, 4),
    pbInt(2, 1), // FLOAT
    pbBytes(8, 'w'),
    ...(location === undefined
      ? [pbBytes(9, new Uint8Array(16))]
      : [
          pbBytes(13, pb(pbBytes(1, 'location'), pbBytes(2, location))),
          pbBytes(13, pb(pbBytes(1, 'length'), pbBytes(2, '16'))),
          pbInt(14, 1),
        ]),
  );
  const node = pb(pbBytes(1, 'x'), pbBytes(1, 'w'), pbBytes(2, 'y'), pbBytes(4, 'Add'));
  const graph = pbBytes(7, pb(pbBytes(1, node), pbBytes(2, 'g'), pbBytes(5, initializer)));
  const ir = pbInt(1, 8);
  const opset = pbBytes(8, pb(pbBytes(1, ''), pbInt(2, 17)));
  return irFirst ? pb(ir, pbBytes(2, 'exporter'), graph, opset) : pb(pbBytes(2, 'exporter'), graph, opset, ir);
}

// ── TF ──
function savedModel(nodes: Array<{ op: string; outputStream?: string }>, inLibrary = false): Uint8Array {
  const nodeDefs = nodes.map((node, i) =>
    pb(
      pbBytes(1, `n${i}`),
      pbBytes(2, node.op),
      ...(node.outputStream ? [pbBytes(5, pb(pbBytes(1, 'output_stream'), pbBytes(2, pbBytes(2, node.outputStream))))] : []),
    ),
  );
  const graph = inLibrary
    ? pb(
        pbBytes(1, pb(pbBytes(1, 'c'), pbBytes(2, 'Const'))),
        pbBytes(2, pbBytes(1, pb(pbBytes(1, pbBytes(1, 'f')), ...nodeDefs.map((d) => pbBytes(3, d))))),
      )
    : pb(...nodeDefs.map((d) => pbBytes(1, d)));
  return pb(pbInt(1, 1), pbBytes(2, pb(pbBytes(1, pbBytes(4, 'serve')), pbBytes(2, graph))));
}

// ── images ──
function pngChunk(type: string, data: Uint8Array): Buffer {
  const t = Buffer.from(type, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([t, data])));
  return Buffer.concat([len, t, data, crc]);
}
function png(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff])),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}
const gif = () =>
  Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    Buffer.from([1, 0, 1, 0, 0, 0, 0]),
    Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4c, 0x01, 0]),
    Buffer.from([0x3b]),
  ]);

function tfrecord(records: Uint8Array[]): Buffer {
  return Buffer.concat(
    records.map((data) => {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(data.length));
      const lc = Buffer.alloc(4);
      lc.writeUInt32LE(maskedCrc32c(len));
      const dc = Buffer.alloc(4);
      dc.writeUInt32LE(maskedCrc32c(data));
      return Buffer.concat([len, lc, Buffer.from(data), dc]);
    }),
  );
}

describe('format confusion classes', () => {
  it('keras without metadata.json: a config.json Lambda with bytecode is critical, a module gadget critical; the twin is clean', async () => {
    const lambda = {
      class_name: 'Sequential',
      config: {
        layers: [
          {
            class_name: 'Lambda',
            config: { function: { class_name: '__lambda__', config: { code: '4wEAAAAAAAAAAAAAAAEAAAAEAAAAQwAAAHM' } } },
          },
        ],
      },
    };
    const gadget = { class_name: 'Functional', config: { layers: [{ module: 'builtins', class_name: 'exec', config: {} }] } };
    const benign = {
      class_name: 'Sequential',
      module: 'keras',
      config: { layers: [{ class_name: 'Dense', module: 'keras.layers', config: { units: 2 } }] },
    };
    const bad = await scanOne('model.keras', writeZip([{ name: 'config.json', data: JSON.stringify(lambda) }]));
    expect(bad.format).toBe('keras');
    expect(rules(bad)).toContain('MS-KERAS-001:critical');
    const bad2 = await scanOne(
      'm.zip',
      writeZip([
        { name: 'config.json', data: JSON.stringify(gadget) },
        { name: 'x.txt', data: 'x' },
      ]),
    );
    expect(rules(bad2)).toContain('MS-KERAS-002:critical');
    const good = await scanOne('model.keras', writeZip([{ name: 'config.json', data: JSON.stringify(benign) }]));
    expect([good.format, good.verdict]).toEqual(['keras', 'clean']);
  });

  it('keras configs are judged wherever they appear: a standalone JSON model config', async () => {
    const gadget = { class_name: 'Functional', config: { layers: [{ module: 'os', class_name: 'system', config: {} }] } };
    expect(rules(await scanOne('model.json', JSON.stringify(gadget)))).toContain('MS-KERAS-002:critical');
  });

  it('onnx with ir_version not first: traversing external data is high; the benign twin is clean', async () => {
    for (const irFirst of [false, true]) {
      const bad = await scanOne('model.onnx', onnxModel('../../etc/passwd', irFirst));
      expect([bad.format, ...rules(bad)], `irFirst=${irFirst}`).toEqual(['onnx', 'MS-ONNX-001:high']);
      const good = await scanOne('model.onnx', onnxModel(undefined, irFirst));
      expect([good.format, good.verdict]).toEqual(['onnx', 'clean']);
    }
  });

  it('a JSON file that opens like a safetensors header is JSON; a real safetensors stays safetensors', async () => {
    const jsonLike = `["x",   {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}]`;
    expect(jsonLike[8]).toBe('{');
    const r = await scanOne('model.safetensors', jsonLike);
    expect([r.format, r.verdict]).toEqual(['json', 'clean']);
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const real = await scanOne('model.safetensors', Buffer.concat([len, header, Buffer.alloc(4)]));
    expect([real.format, real.verdict]).toEqual(['safetensors', 'clean']);
    // A header length beyond the file is not safetensors (the loader refuses it): not recognised, so incomplete.
    len.writeBigUInt64LE(BigInt(header.length + 100));
    const lying = await scanOne('model.safetensors', Buffer.concat([len, header]));
    expect(lying.format).not.toBe('safetensors');
    expect(lying.verdict).toBe('incomplete');
  });

  it('GGUF metadata count over MAX_GGUF_METADATA_ENTRIES ends incomplete, not medium-and-pass', async () => {
    const head = Buffer.alloc(24);
    head.write('GGUF', 0, 'latin1');
    head.writeUInt32LE(3, 4);
    head.writeBigUInt64LE(0n, 8);
    head.writeBigUInt64LE(1_000_000n, 16);
    const r = await scanOne('big.gguf', head);
    expect(r.verdict).toBe('incomplete');
    expect(active(r).some((f) => f.incomplete && f.evidence.code === 'LIMIT_EXCEEDED')).toBe(true);
  });

  it('TF graphs by protobuf structure: tf.print to stderr is clean, to a file high, PyFunc in a library function critical', async () => {
    const print = await scanOne(
      'saved_model.pb',
      savedModel([{ op: 'StringFormat' }, { op: 'PrintV2', outputStream: 'stderr' }, { op: 'SaveV2' }]),
    );
    expect([print.format, print.verdict]).toEqual(['tf-savedmodel', 'clean']);
    expect(rules(await scanOne('saved_model.pb', savedModel([{ op: 'PrintV2', outputStream: 'file:///tmp/out.txt' }])))).toEqual([
      'MS-TF-001:high',
    ]);
    expect(rules(await scanOne('saved_model.pb', savedModel([{ op: 'EagerPyFunc' }], true)))).toEqual(['MS-TF-001:critical']);
    expect(rules(await scanOne('saved_model.pb', savedModel([{ op: 'ReadFile' }], true)))).toEqual(['MS-TF-001:high']);
  });
});

describe('data formats recognised by structure, clean; broken structure incomplete', () => {
  it('images: PNG (CRC-checked), GIF, SVG with a script; a PNG with a bad CRC is incomplete', async () => {
    expect([(await scanOne('logo.png', png())).format, (await scanOne('logo.png', png())).verdict]).toEqual(['png', 'clean']);
    const g = await scanOne('demo.gif', gif());
    expect([g.format, g.verdict]).toEqual(['gif', 'clean']);
    const svg = await scanOne(
      'diagram.svg',
      '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n',
    );
    expect([svg.format, svg.verdict]).toEqual(['svg', 'clean']);
    const broken = png();
    broken.writeUInt8(broken.readUInt8(broken.length - 20) ^ 0xff, broken.length - 20); // inside IDAT: its CRC no longer matches
    const b = await scanOne('logo.png', broken);
    expect([b.format, b.verdict]).toEqual(['png', 'incomplete']);
  });

  it('an archive appended to an image is scanned: a zip holding an os.system pickle after IEND is critical', async () => {
    const polyglot = Buffer.concat([png(), writeZip([{ name: 'payload.pkl', data: OS_SYSTEM }])]);
    const r = await scanOne('logo.png', polyglot);
    expect(r.format).toBe('png');
    expect(top(r)).toBe('critical');
  });

  it('empty files, TensorBoard events (CRC-32C), .DS_Store, Parquet, msgpack and UBJSON are recognised and clean', async () => {
    expect((await scanOne('__init__.py', '')).format).toBe('empty');
    expect((await scanOne('__init__.py', '')).verdict).toBe('clean');
    const event = pb(pbBytes(3, 'brain.Event:2'));
    const ev = await scanOne('events.out.tfevents.1.host', tfrecord([event, pb(pbInt(2, 1))]));
    expect([ev.format, ev.verdict]).toEqual(['tensorboard-events', 'clean']);
    const badEv = tfrecord([event, pb(pbInt(2, 1))]);
    badEv.writeUInt8(badEv.readUInt8(badEv.length - 1) ^ 1, badEv.length - 1);
    expect((await scanOne('events.out.tfevents.2.host', badEv)).verdict).toBe('incomplete');
    const ds = Buffer.alloc(64);
    ds.writeUInt32BE(1, 0);
    ds.write('Bud1', 4, 'latin1');
    ds.writeUInt32BE(32, 8);
    ds.writeUInt32BE(16, 12);
    ds.writeUInt32BE(32, 16);
    expect((await scanOne('.DS_Store', ds)).format).toBe('ds-store');
    const footer = Buffer.from([0x15, 0x02, 0x00]);
    const flen = Buffer.alloc(4);
    flen.writeUInt32LE(footer.length);
    const parquet = await scanOne(
      'train.parquet',
      Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(8), footer, flen, Buffer.from('PAR1')]),
    );
    expect([parquet.format, parquet.verdict]).toEqual(['parquet', 'clean']);
    // msgpack {"params": {"kernel": bin8(4)}} (Flax) and a truncated twin.
    const msgpack = Buffer.from([
      0x81,
      0xa6,
      ...Buffer.from('params'),
      0x81,
      0xa6,
      ...Buffer.from('kernel'),
      0xc4,
      4,
      1,
      2,
      3,
      4,
    ]);
    expect(await scanOne('flax_model.msgpack', msgpack).then((r) => [r.format, r.verdict])).toEqual(['msgpack', 'clean']);
    expect((await scanOne('flax_model.msgpack', msgpack.subarray(0, msgpack.length - 2))).verdict).toBe('incomplete');
    // UBJSON {"learner": [$d#i2 <2 float32>]} (XGBoost)
    const ubj = Buffer.from([
      0x7b,
      0x69,
      7,
      ...Buffer.from('learner'),
      0x5b,
      0x24,
      0x64,
      0x23,
      0x69,
      2,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x7d,
    ]);
    expect(await scanOne('model.ubj', ubj).then((r) => [r.format, r.verdict])).toEqual(['xgboost-ubj', 'clean']);
  });

  it('sentencepiece models by their ModelProto schema', async () => {
    const piece = (text: string, score: number) => {
      const f = Buffer.alloc(4);
      f.writeFloatLE(score);
      return pbBytes(1, pb(pbBytes(1, text), Buffer.from([0x15]), f, pbInt(3, 1)));
    };
    const model = pb(
      piece('<unk>', 0),
      piece('▁the', -1.5),
      piece('s', -2),
      pbBytes(2, pb(pbInt(3, 8000))),
      pbBytes(3, pb(pbBytes(1, 'nmt_nfkc'))),
    );
    const r = await scanOne('tokenizer.model', model);
    expect([r.format, r.verdict]).toEqual(['sentencepiece', 'clean']);
  });

  it('text that is not a pickle, whatever its first bytes: requirements, class labels, a zlib-looking x^ line', async () => {
    for (const [name, text] of [
      ['requirements.txt', 'torch==2.3.1\nnumpy>=1.24\n'],
      ['labels.txt', 'cat\ndog\nbird\n'],
      ['notes.txt', 'x^2 + 3x + 1 = 0\n'],
      ['pyproject.toml', '[tool.x]\nk = 1\n'],
    ] as const) {
      const r = await scanOne(name, text);
      expect([name, r.format], name).toEqual([name, 'text']);
    }
    // A complete protocol 0 pickle that is also ASCII text is still read as a pickle.
    const p0 = await scanOne('labels.txt', 'cposix\nsystem\n(S"echo pwned"\ntR.');
    expect(p0.format).toBe('pickle');
    expect(top(p0)).toBe('critical');
  });
});

describe('companions: raw tensor data recognised from the manifest that accounts for its size', () => {
  it('ONNX external data of the right size is clean; one byte more and it is not recognised', async () => {
    const model = onnxModel('model.onnx_data', true);
    const good = await scanPaths([place({ 'model.onnx': model, 'model.onnx_data': new Uint8Array(16).fill(7) })]);
    const data = good.files.find((f) => f.path.endsWith('model.onnx_data'));
    expect([data?.format, data?.verdict]).toEqual(['onnx-external-data', 'clean']);
    const bad = await scanPaths([place({ 'model.onnx': model, 'model.onnx_data': new Uint8Array(17).fill(7) })]);
    const badData = bad.files.find((f) => f.path.endsWith('model.onnx_data'));
    expect([badData?.format, badData?.verdict]).toEqual(['unknown', 'incomplete']);
  });

  it('OpenVINO weights of the size the IR names are clean; a size the IR does not name is not recognised', async () => {
    const xml =
      '<?xml version="1.0"?>\n<net name="m" version="11"><layers><layer id="0" name="w" type="Const" version="opset1"><data element_type="f32" shape="2" offset="0" size="8"/></layer></layers></net>\n';
    const ok = await scanPaths([place({ 'openvino_model.xml': xml, 'openvino_model.bin': new Uint8Array(8).fill(3) })]);
    expect(ok.files.map((f) => `${f.format}:${f.verdict}`).sort()).toEqual(['openvino-ir:clean', 'openvino-weights:clean']);
    const wrong = await scanPaths([place({ 'openvino_model.xml': xml, 'openvino_model.bin': new Uint8Array(9).fill(3) })]);
    expect(wrong.files.find((f) => f.path.endsWith('.bin'))?.verdict).toBe('incomplete');
  });

  it('a companion hint never hides a pickle: a referenced data file that is a pickle is read as one', async () => {
    const pickle = Buffer.from(OS_SYSTEM);
    const padded = Buffer.concat([pickle, Buffer.alloc(16 - (pickle.length % 16))]);
    const xml = `<net name="m" version="11"><layers><layer id="0" type="Const"><data offset="0" size="${padded.length}"/></layer></layers></net>`;
    const r = await scanPaths([place({ 'm.xml': xml, 'm.bin': padded })]);
    const bin = r.files.find((f) => f.path.endsWith('m.bin'));
    expect(bin?.format).toBe('pickle');
    expect(bin?.findings[0]?.severity).toBe('critical');
  });
});
