import { describe, expect, it } from 'vitest';
import { parseOnnxModel } from './index.js';

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
      initializers: [{ name: 'w', externalData: { location: 'data.bin' } }],
      nodes: [{ opType: 'Conv', domain: 'custom.domain' }],
      metadataProps: { author: 'me' },
    });
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
