/**
 * Bypasses found by the 2026-12-04 probe of containers and non-pickle formats (issue 11), one fixture per class,
 * scanned through the engine entry the CLI uses (scanBytes) with the default gate. Each hostile fixture was proven
 * against its victim with /usr/bin/python3 (the library named at each class) while `modelsec scan` passed it
 * (exit 0) before the fix; each benign twin stays clean.
 */
import { describe, expect, it } from 'vitest';
import { parsePythonLiteral } from '../../../packages/core/src/formats/python/literal.js';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { atLeast } from '../../../packages/core/src/scan/types.js';

type Expect = 'high' | 'critical' | 'incomplete' | 'clean';
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function check(name: string, bytes: Uint8Array, expected: Expect, rule?: string): Promise<void> {
  const report = await scanBytes(bytes, {}, name);
  const lines = `${report.verdict}\n${report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n')}`;
  const gate = evaluateGate([report], DEFAULT_GATE);
  if (expected === 'clean') {
    expect(
      report.findings.filter((f) => atLeast(f.severity, 'high')),
      lines,
    ).toEqual([]);
    expect(report.verdict, lines).not.toBe('incomplete');
    expect(gate.pass, lines).toBe(true);
    return;
  }
  expect(gate.pass, lines).toBe(false);
  if (expected === 'incomplete') expect(report.verdict, lines).toBe('incomplete');
  else
    expect(
      report.findings.some((f) => atLeast(f.severity, expected) && (rule === undefined || f.ruleId === rule)),
      lines,
    ).toBe(true);
}

describe('probe 2026-12-04: ONNX tensors outside initializers', () => {
  // Class "onnx-sparse-attribute-external-data": a TensorProto with external_data was looked for in initializers,
  // sparse initializers and the t/tensors attributes only; a sparse_tensor (AttributeProto field 22, here Constant's
  // sparse_value) or sparse_tensors (23) attribute whose values point outside the model directory passed clean.
  // Proof (onnx 1.12): onnx.load(path, load_external_data=False) then
  // onnx.external_data_helper.load_external_data_for_tensor(attr.sparse_tensor.values, model_dir) read
  // /etc/hostname through "x/../../../../../../etc/hostname" (as numpy_helper.to_array(values, base_dir) does;
  // ONNX Runtime densifies Constant sparse_value and sparse initializers with their external data). Fix: the model
  // is walked by an onnx.proto schema table (every message that can hold a tensor or node), not by known positions.
  it('high: onnx-sparse-attribute-external-data (Constant sparse_value)', async () => {
    await check(
      'sparse_attr.onnx',
      hex(
        '08083a80010a6a1201792208436f6e7374616e742a5b0a0c7370617273655f76616c7565a0010bb201470a37080810024201766a2c0a086c6f636174696f6e1220782f2e2e2f2e2e2f2e2e2f2e2e2f2e2e2f2e2e2f6574632f686f73746e616d657001120a080110073a01004201691808120167620f0a0179120a0a08080212040a02080842040a00100d',
      ),
      'high',
      'MS-ONNX-001',
    );
  });
  it('high: onnx-sparse-attribute-external-data (sparse_tensors list)', async () => {
    await check(
      'sparse_tensors_attr.onnx',
      hex(
        '08083a8a010a630a017812017922084964656e746974792a510a027374a0010cba01470a37080810024201766a2c0a086c6f636174696f6e1220782f2e2e2f2e2e2f2e2e2f2e2e2f2e2e2f2e2e2f6574632f686f73746e616d657001120a080110073a010042016918081201675a0f0a0178120a0a08080212040a020808620f0a0179120a0a08080212040a02080842040a00100d',
      ),
      'high',
      'MS-ONNX-001',
    );
  });
});

describe('probe 2026-12-04: GGUF chat template keys as C strings', () => {
  // Class "gguf-template-key-nul-suffix": template keys were matched on their full bytes, so a key
  // `tokenizer.chat_template\0` was not kept nor judged (clean). llama.cpp fills its gguf_kv map with
  // `gguf_kv.emplace(const char * name, ...)` (llama-model.cpp load_hparams), so the key is `tokenizer.chat_template`
  // there, and llama-cpp-python reads keys through llama_model_meta_key_by_index into a ctypes buffer whose
  // `.value` stops at the NUL. Proof (/usr/bin/python3): ctypes.create_string_buffer(key).value.decode() ==
  // 'tokenizer.chat_template'; jinja2.Environment().from_string(value).render() printed uid=0(root). Fix: keys are
  // compared up to their first NUL.
  const SSTI = "{{ cycler.__init__.__globals__.os.popen('id').read() }}";
  const gguf = (key: string, value: string): Uint8Array => {
    const u64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return b;
    };
    const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n);
      return b;
    };
    return Uint8Array.from(Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), str(key), u32(8), str(value)]));
  };
  it('critical: gguf-template-key-nul-suffix', async () => {
    await check('model.gguf', gguf('tokenizer.chat_template\0', SSTI), 'critical', 'MS-GGUF-001');
    await check('model.gguf', gguf('tokenizer.chat_template.tool_use\0x', SSTI), 'critical', 'MS-GGUF-001');
  });
  it('benign: a NUL-suffixed template key holding an ordinary template, and other NUL keys, stay clean', async () => {
    await check(
      'model.gguf',
      gguf('tokenizer.chat_template\0', "{% for m in messages %}{{ m['content'] }}{% endfor %}"),
      'clean',
    );
    await check('model.gguf', gguf('general.name\0', SSTI), 'clean');
  });
});

describe('probe 2026-12-04: linear time on chat templates', () => {
  // Class "jinja-normalise-rope-flatten": before rewriting `()` as the empty tuple, the string-literal normaliser
  // looked back into the output it was building; indexing that growing string made V8 flatten (copy) it at every
  // `()`, quadratic in the template: `{{ f()~f()~...1 }}` took 0.4 s at 100 KB, 41 s at 200 KB, 204 s at 400 KB
  // (measured), so a 1 MB chat_template (MAX_TEMPLATE_CHARS) held the scan for most of an hour. Now it looks back in
  // the template itself: 800 KB in about a second. The bound below is generous (a shared machine), far under the
  // quadratic cost.
  it('an 800 KB template of calls is judged in well under 30 s', async () => {
    const template = `{{ ${'f()~'.repeat(200_000)}1 }}`;
    const started = Date.now();
    const report = await scanBytes(text(JSON.stringify({ chat_template: template })), {}, 'tokenizer_config.json');
    expect(Date.now() - started).toBeLessThan(30_000);
    // Too deeply nested for the judge: not inspected (the gate fails), never clean.
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
  }, 60_000);
  // Class "jinja-fold-work": every fold costs the length of its strings (up to MAX_FOLDED_CHARS, 64 K), so a
  // template reusing one long constant in many expressions cost its size times 64 K: `{% set a = 'x '*20000 %}` then
  // `{{ a.split()|join(" ") }}` repeated took 25 s at 65 KB (measured; a 1 MB template, minutes). Folding is now
  // bounded as a whole (MAX_FOLD_WORK_CHARS): such a template ends, not inspected, within seconds.
  it('a template folding one long constant over and over ends in bounded time, not inspected', async () => {
    const template = `{% set a = '${'x '.repeat(20_000)}' %}${'{{ a.split()|join(" ") }}'.repeat(20_000)}`;
    const started = Date.now();
    const report = await scanBytes(text(JSON.stringify({ chat_template: template })), {}, 'tokenizer_config.json');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(report.verdict).toBe('incomplete');
  }, 60_000);
});

describe('probe 2026-12-04: the .npy header literal parser stays linear', () => {
  // Audit (issue 11 point 2): every regex of formats/python/literal.ts runs anchored on a bounded window (number
  // tokens on 4096 characters, names on 64, string prefixes on 3), and strings, comments and containers are walked
  // once. No class found; this pins it: 16x the input must not cost 256x the time (quadratic). Generous bounds.
  const headers: ReadonlyArray<[string, (n: number) => string]> = [
    ['shape of many numbers', (n) => `{'descr': '<f4', 'fortran_order': False, 'shape': (${'1_0e3, '.repeat(n)}), }`],
    ['escaped strings', (n) => `{'descr': [${"('\\x41\\101\\n', '<f4'), ".repeat(n)}]}`],
    ['comments and continuations', (n) => `{${'# c\\\n'.repeat(n)}'shape': ()}`],
    ['adjacent strings', (n) => `{'descr': ${"'a' ".repeat(n)}}`],
  ];
  for (const [what, make] of headers) {
    it(`${what}: 16x the input costs far less than 256x the time`, () => {
      const time = (n: number) => {
        const text = make(n);
        const started = performance.now();
        parsePythonLiteral(text);
        return performance.now() - started;
      };
      time(2_000); // warm-up
      const small = Math.max(time(10_000), 1);
      const large = time(160_000);
      expect(large).toBeLessThan(Math.max(small * 64, 5_000));
    });
  }
});

describe('probe 2026-12-04: Keras serialized functions outside Lambda layers', () => {
  // Class "keras-serialized-lambda-anywhere": only objects with class_name 'Lambda' were judged for Python code; a
  // serialized function `{"class_name": "__lambda__", "config": {"code": <base64 marshal>}}` elsewhere (here a Dense
  // layer's activation) passed clean. Keras 3's serialization_lib.deserialize_keras_object turns any `__lambda__`
  // into a function with python_utils.func_load (marshal.loads of `code`), under safe_mode=False as for a Lambda
  // layer. NOT proven by running Keras (it is not installed here): the path is read from keras/src/saving/
  // serialization_lib.py; the bytecode is marshal.dumps((lambda x: os.system('id')).__code__) from Python 3.11.
  // Fix: `__lambda__` is judged as a Lambda is (MS-KERAS-001, critical with bytecode).
  const LAMBDA_ACTIVATION = {
    module: 'keras',
    class_name: 'Sequential',
    registered_name: null,
    config: {
      name: 's',
      layers: [
        {
          module: 'keras.layers',
          class_name: 'Dense',
          registered_name: null,
          config: {
            name: 'd',
            units: 2,
            activation: {
              class_name: '__lambda__',
              config: {
                code: '4wEAAAAAAAAAAAAAAAMAAAADAAAA8yoAAACXAHQBAAAAAAAAAAAAAGoBAAAAAAAAAABkAaYBAACrAQAAAAAAAAAAUwApAk7aAmlkKQLaAm9z2gZzeXN0ZW0pAdoBeHMBAAAAIPoIPHN0cmluZz76CDxsYW1iZGE+cgcAAAADAAAAcw4AAACAAI1ijGmYBIlvjG+AAPMAAAAA',
                defaults: null,
                closure: null,
              },
            },
          },
        },
      ],
    },
  };
  it('critical: keras-serialized-lambda-anywhere (a Dense activation)', async () => {
    await check('model.json', text(JSON.stringify(LAMBDA_ACTIVATION)), 'critical', 'MS-KERAS-001');
  });
  it('benign: a Dense layer with a named activation stays clean', async () => {
    const benign = structuredClone(LAMBDA_ACTIVATION) as { config: { layers: Array<{ config: { activation: unknown } }> } };
    (benign.config.layers[0] as { config: { activation: unknown } }).config.activation = 'relu';
    await check('model.json', text(JSON.stringify(benign)), 'clean');
  });
});
