import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingSource } from '../../../../../tests/helpers/recording-source.js';
import { memorySource } from '../byte-source.js';
import { MAX_ONNX_HEADER_FIELD_BYTES, MAX_ONNX_HEADER_FIELDS, parseOnnxModel, readOnnxHeader } from './index.js';

function v(n: number): number[] {
  const out: number[] = [];
  let x = n;
  while (x > 0x7f) {
    out.push((x & 0x7f) | 0x80);
    x >>>= 7;
  }
  out.push(x);
  return out;
}
const bytes = (field: number, data: number[]) => [...v(field * 8 + 2), ...v(data.length), ...data];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s)]);

describe('parseOnnxModel', () => {
  it('reads ir_version, producer, opsets, initializer external data, nodes and metadata', () => {
    const init = [...str(8, 'w'), ...bytes(13, [...str(1, 'location'), ...str(2, 'data.bin')])];
    const node = [...str(4, 'Conv'), ...str(7, 'custom.domain')];
    const graph = [...bytes(1, node), ...str(2, 'main'), ...bytes(5, init)];
    const model = Uint8Array.from([
      8,
      9,
      ...str(2, 'pytorch'),
      ...str(3, '2.3'),
      ...bytes(7, graph),
      ...bytes(8, [...str(1, ''), 16, 17]),
      ...bytes(14, [...str(1, 'author'), ...str(2, 'me')]),
    ]);
    expect(parseOnnxModel(model)).toEqual({
      irVersion: 9,
      producerName: 'pytorch',
      producerVersion: '2.3',
      graphName: 'main',
      opsetImports: [{ domain: '', version: 17 }],
      initializers: [{ name: 'w', externalData: { location: 'data.bin' }, dims: [] }],
      nodes: [{ opType: 'Conv', domain: 'custom.domain' }],
      metadataProps: { author: 'me' },
    });
  });

  it('finds tensors wherever onnx.proto can hold them: sparse attributes, function attribute defaults, training graphs', () => {
    const ext = (name: string) => [...str(8, name), ...bytes(13, [...str(1, 'location'), ...str(2, `${name}.bin`)])];
    const sparse = (name: string) => [...bytes(1, ext(name))];
    const node = [
      ...str(4, 'Constant'),
      ...bytes(5, [...str(1, 'sparse_value'), ...bytes(22, sparse('a'))]),
      ...bytes(5, [...str(1, 'st'), ...bytes(23, sparse('b'))]),
    ];
    // FunctionProto.attribute_proto (11): an attribute default holding a tensor and a subgraph with a custom node.
    const fn = [
      ...str(1, 'F'),
      ...bytes(11, [...str(1, 'value'), ...bytes(5, ext('c')), ...bytes(6, bytes(1, [...str(4, 'X'), ...str(7, 'd.e')]))]),
    ];
    const training = bytes(2, bytes(5, ext('d')));
    const model = Uint8Array.from([8, 9, ...bytes(7, bytes(1, node)), ...bytes(20, training), ...bytes(25, fn)]);
    const parsed = parseOnnxModel(model);
    expect(parsed.initializers.map((t) => [t.name, t.externalData.location])).toEqual([
      ['a', 'a.bin'],
      ['b', 'b.bin'],
      ['d', 'd.bin'],
      ['c', 'c.bin'],
    ]);
    expect(parsed.nodes.map((n) => n.domain)).toContain('d.e');
  });

  it('random and truncated inputs end in a result or FORMAT_INVALID, never a crash', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    for (let i = 0; i < 500; i++) {
      const input = Uint8Array.from({ length: rand() % 200 }, () => rand() & 0xff);
      try {
        parseOnnxModel(input);
      } catch (error) {
        expect((error as { code?: string }).code).toMatch(/FORMAT_INVALID|LIMIT_EXCEEDED/);
      }
    }
  });
});

const TINY = join(import.meta.dirname, '..', '..', '..', '..', '..', 'fixtures', 'models', 'tiny.onnx');

/** The header fields of a full parse, for comparison with readOnnxHeader. */
function headerOf(bytes: Uint8Array) {
  const { irVersion, producerName, producerVersion, domain, opsetImports } = parseOnnxModel(bytes);
  return { irVersion, producerName, producerVersion, domain, opsetImports };
}

describe('readOnnxHeader', () => {
  it('reads ir_version, producer, domain and opsets as parseOnnxModel does', async () => {
    const tiny = new Uint8Array(readFileSync(TINY));
    expect(await readOnnxHeader(memorySource(tiny))).toEqual(headerOf(tiny));
    const model = Uint8Array.from([
      8,
      7,
      ...str(4, 'com.example'),
      ...bytes(8, [...str(1, 'ai.onnx.ml'), 16, 3]),
      ...bytes(7, [...str(2, 'g')]),
      ...str(2, 'exporter'),
      ...bytes(8, [16, 13]),
    ]);
    expect(await readOnnxHeader(memorySource(model))).toEqual({
      irVersion: 7,
      producerName: 'exporter',
      domain: 'com.example',
      opsetImports: [
        { domain: 'ai.onnx.ml', version: 3 },
        { domain: '', version: 13 },
      ],
    });
    expect(await readOnnxHeader(memorySource(model))).toEqual(headerOf(model));
  });

  it('never reads the graph', async () => {
    const graph = new Uint8Array(2 * 1024 * 1024).fill(0xff); // not even a valid message: it is not looked at
    const model = Uint8Array.from([8, 9, ...bytes(7, [...graph]), ...bytes(8, [16, 17])]);
    const { source, bytesRead } = recordingSource(model);
    expect(await readOnnxHeader(source)).toEqual({ irVersion: 9, opsetImports: [{ domain: '', version: 17 }] });
    expect(bytesRead()).toBeLessThan(256 * 1024);
  });

  it('refuses what is not a ModelProto, and fields past its limits', async () => {
    const refuse = (b: number[]) => readOnnxHeader(memorySource(Uint8Array.from(b)));
    await expect(refuse([8, 9, ...bytes(8, [16, 17])])).rejects.toMatchObject({
      code: 'FORMAT_INVALID',
      details: { field: 'graph' },
    });
    await expect(refuse([...bytes(7, [])])).rejects.toMatchObject({ code: 'FORMAT_INVALID', details: { field: 'ir_version' } });
    await expect(refuse([0x0f, 0x00])).rejects.toMatchObject({ code: 'FORMAT_INVALID' });
    await expect(refuse([8, 9, ...bytes(7, []), 0x12, 0x05, 0x61])).rejects.toMatchObject({ code: 'FORMAT_INVALID' });
    const longName = str(2, 'x'.repeat(MAX_ONNX_HEADER_FIELD_BYTES + 1));
    await expect(refuse([8, 9, ...bytes(7, []), ...longName])).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    const manyFields = Array.from({ length: MAX_ONNX_HEADER_FIELDS }, () => [0x28, 0x01]).flat(); // model_version
    await expect(refuse([8, 9, ...bytes(7, []), ...manyFields])).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('on random input: the header of every model parseOnnxModel accepts, and only FORMAT_INVALID otherwise', async () => {
    let seed = 777;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    const tiny = new Uint8Array(readFileSync(TINY));
    let accepted = 0;
    for (let i = 0; i < 1000; i++) {
      const input = new Uint8Array(tiny);
      for (let m = 0; m < 1 + (rand() % 3); m++) input[rand() % input.length] = rand() & 0xff;
      const cut = input.subarray(0, i % 4 === 0 ? rand() % input.length : input.length);
      let full: ReturnType<typeof headerOf> | undefined;
      try {
        full = headerOf(cut);
      } catch {
        full = undefined;
      }
      const header = await readOnnxHeader(memorySource(cut)).catch((error: { code?: string }) => {
        expect(error.code, `input ${i}`).toBe('FORMAT_INVALID');
        return undefined;
      });
      if (full) {
        accepted++;
        expect(header, `input ${i}`).toEqual(full);
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });
});
