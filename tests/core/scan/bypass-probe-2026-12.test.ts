/**
 * Bypasses found by the December 2026 probe of the scanner (issue 11), one fixture per class, built here and scanned
 * through the engine entry the CLI uses (scanBytes). Each hostile file was proven to run its payload under its
 * victim loader (torch 1.13 `torch.load`) before the fix, while the default gate passed it.
 *
 * Class "legacy-tar-detection-gate": torch.load hands any tar to `legacy_load`, which unpickles `storages` first
 * (then `tensors`, then `pickle`) without checking that the other members or `sys_info` exist. Detection called a tar
 * "pytorch-tar" only with `sys_info`, or with `pickle` beside `storages`; any other tar was read as a plain archive
 * whose members were scanned by content alone, so a pickle placed after the raw data of a storage record (the
 * `storage_views` pickle) or after a tensor record's header was never met.
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import { atLeast } from '../../../packages/core/src/scan/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** Pickles as CPython 3.8 `pickle.dumps` writes them (protocol 4). */
const COUNT_1 = hex('80044b012e'); // 1
const COUNT_2 = hex('80044b022e'); // 2
const EMPTY_LIST = hex('80045d942e'); // []
/** ('0', 'cpu', torch.FloatStorage) */
const STORAGE_RECORD = hex('80049526000000000000008c0130948c03637075948c05746f726368948c0c466c6f617453746f7261676594939487942e');
/** ('k', '0', torch.FloatTensor) */
const TENSOR_RECORD = hex('80049523000000000000008c016b948c0130948c05746f726368948c0b466c6f617454656e736f7294939487942e');
/** ('0', 'cpu', torch.DoubleTensor): torch reads only `storage_type.dtype`, and a tensor type has one. */
const TENSOR_TYPE_RECORD = hex(
  '80049526000000000000008c0130948c03637075948c05746f726368948c0c446f75626c6554656e736f7294939487942e',
);
/** ('0', 'cpu', torch.storage.TypedStorage): a type modelsec cannot size. */
const UNSIZED_RECORD = hex(
  '8004952e000000000000008c0130948c03637075948c0d746f7263682e73746f72616765948c0c547970656453746f7261676594939487942e',
);
/** (torch.FloatStorage, 'cpu', torch.sparse.DoubleTensor): a storage global as the key, the real type after it. */
const DECOY_RECORD = hex(
  '80049542000000000000008c05746f726368948c0c466c6f617453746f726167659493948c03637075948c0c746f7263682e737061727365948c0c446f75626c6554656e736f7294939487942e',
);
/** ('1', 'cpu', torch.FloatStorage) */
const FAKE_RECORD = hex('80049526000000000000008c0131948c03637075948c05746f726368948c0c466c6f617453746f7261676594939487942e');
/** posix.system('touch /tmp/pwned-legacy-tar') */
const PAYLOAD = hex(
  '80049536000000000000008c05706f736978948c0673797374656d9493948c1b746f756368202f746d702f70776e65642d6c65676163792d74617294859452942e',
);

function le64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
  return b;
}
function le32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
}

/** A ustar archive of regular files, as tarfile writes one (512-byte blocks, two zero blocks at the end). */
function ustar(members: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, data] of members) {
    const header = new Uint8Array(512);
    const put = (at: number, text: string) => header.set(Buffer.from(text, 'latin1'), at);
    put(0, name);
    put(100, '0000644\0');
    put(108, '0000000\0');
    put(116, '0000000\0');
    put(124, `${data.length.toString(8).padStart(11, '0')}\0`);
    put(136, '00000000000\0');
    put(148, '        ');
    put(156, '0');
    put(257, 'ustar\0');
    put(263, '00');
    const sum = header.reduce((a, b) => a + b, 0);
    put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return concat(...blocks);
}

/** One FloatStorage record of 2 elements: its pickle, then the 8-byte count and 2 x 4 bytes of data. */
const STORAGE = concat(STORAGE_RECORD, le64(2), new Uint8Array(8));
/** One tensor record: its pickle, ndim 1, 4 skipped bytes, size 2, stride 1, storage offset 0. */
const TENSOR = concat(TENSOR_RECORD, le32(1), new Uint8Array(4), le64(2), le64(1), le64(0));

/**
 * A record whose key is torch.FloatStorage and whose type is torch.sparse.DoubleTensor (8-byte elements): read as
 * "the one storage global", it sized 4 bytes an element, and the scanner's walk went on into the raw data, where a
 * fake record's count carried it past the payload torch reads as storage_views after 8 bytes an element.
 */
function decoyStorages(): Uint8Array {
  const n = 64;
  const raw = new Uint8Array(8 * n);
  raw.set(FAKE_RECORD, 4 * n);
  const afterFake = 4 * n + FAKE_RECORD.length;
  const rest = 8 * n - (afterFake + 8) + PAYLOAD.length;
  const pad = (4 - (rest % 4)) % 4;
  raw.set(le64((rest + pad) / 4), afterFake);
  return concat(COUNT_1, DECOY_RECORD, le64(n), raw, PAYLOAD, new Uint8Array(pad));
}

const CASES: ReadonlyArray<{ name: string; bytes: Uint8Array; hostile: boolean | 'incomplete' }> = [
  {
    name: 'legacy-tar-detection-gate-storage-views-after-raw.pt',
    bytes: ustar([['storages', concat(COUNT_1, STORAGE, PAYLOAD)]]),
    hostile: true,
  },
  {
    name: 'legacy-tar-detection-gate-tensors-after-raw.pt',
    bytes: ustar([
      ['storages', concat(COUNT_1, STORAGE, EMPTY_LIST)],
      ['tensors', concat(COUNT_2, TENSOR, PAYLOAD)],
    ]),
    hostile: true,
  },
  {
    // Class "legacy-tar-storage-type-sizing": the scanner sized a record only by a torch.<Name>Storage global and
    // took anything else for the last pickle, so the raw data and the pickle after it were never read.
    name: 'legacy-tar-storage-type-sizing-tensor-type.pt',
    bytes: ustar([['storages', concat(COUNT_1, TENSOR_TYPE_RECORD, le64(2), new Uint8Array(16), PAYLOAD)]]),
    hostile: true,
  },
  {
    // A record whose type modelsec cannot size, with bytes after it: not followed, so never passed silently.
    name: 'legacy-tar-storage-type-sizing-unsized.pt',
    bytes: ustar([['storages', concat(COUNT_1, UNSIZED_RECORD, le64(2), new Uint8Array(16), PAYLOAD)]]),
    hostile: 'incomplete',
  },
  {
    // The storage type is the third item torch unpacks, not a storage global found anywhere in the record.
    name: 'legacy-tar-storage-type-sizing-decoy-key.pt',
    bytes: ustar([['storages', decoyStorages()]]),
    hostile: 'incomplete',
  },
  {
    name: 'legacy-tar-detection-gate-benign.pt',
    bytes: ustar([
      ['storages', concat(COUNT_1, STORAGE, EMPTY_LIST)],
      ['tensors', concat(COUNT_1, TENSOR)],
    ]),
    hostile: false,
  },
];

/**
 * Class "joblib-build-slotstate": joblib.dump([numpy.arange(10.0)]) with the wrapper's BUILD state turned into a
 * `(state, {'shape': (0,)})` pair. CPython's BUILD setattr()s the slotstate after the dict, so joblib reads 0 array
 * bytes and runs the 80 bytes the dict's shape (10,) would have covered: `posix.system(...)`, POP, padding opcodes.
 * The walk read only the dict and skipped them as array data (clean, exit 0). Proven under joblib.load.
 */
const JOBLIB_SLOTSTATE_SHAPE = Uint8Array.from(
  Buffer.from(
    'gASVzQAAAAAAAABdlIwTam9ibGliLm51bXB5X3BpY2tsZZSMEU51bXB5QXJyYXlXcmFwcGVylJOUKYGUfZQojAhzdWJjbGFzc5SMBW51bXB5lIwHbmRhcnJheZSTlIwFc2hhcGWUSwqFlIwFb3JkZXKUjAFDlIwFZHR5cGWUaAdoDpOUjAJmOJSJiIeUUpQoSwOMATyUTk5OSv////9K/////0sAdJRijAphbGxvd19tbWFwlIiMG251bXB5X2FycmF5X2FsaWdubWVudF9ieXRlc5RLEHV9jAVzaGFwZUsAhXOGYgf/////////jAJvc4wGc3lzdGVtk4wVdG91Y2ggL3RtcC9wd25lZC1zbG90hVIwSwAwTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBhLg==',
    'base64',
  ),
);

/**
 * Class "joblib-wrapper-constructor": the same array's wrapper made by `copyreg.__newobj_ex__(NumpyArrayWrapper, (),
 * {})` (an instance of it, so joblib's isinstance check reads the array), with no alignment padding. The walk did not
 * take it for a wrapper and parsed the 80 array bytes as opcodes, ending in a BINBYTES header that swallowed the
 * `posix.system(...)` call joblib runs after the data (clean, exit 0). Proven under joblib.load.
 */
const JOBLIB_NEWOBJ_EX_WRAPPER = Uint8Array.from(
  Buffer.from(
    'gARdlIwHY29weXJlZ4wNX19uZXdvYmpfZXhfX5OME2pvYmxpYi5udW1weV9waWNrbGWUjBFOdW1weUFycmF5V3JhcHBlcpSTlCl9h1KUfZQojAhzdWJjbGFzc5SMBW51bXB5lIwHbmRhcnJheZSTlIwFc2hhcGWUSwqFlIwFb3JkZXKUjAFDlIwFZHR5cGWUaAdoDpOUjAJmOJSJiIeUUpQoSwOMATyUTk5OSv////9K/////0sAdJRijAphbGxvd19tbWFwlIiMG251bXB5X2FycmF5X2FsaWdubWVudF9ieXRlc5ROdWJLADBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBOME4wTjBCKgAAAIwCb3OMBnN5c3RlbZOMGXRvdWNoIC90bXAvcHduZWQtbmV3b2JqZXiFUjBhLg==',
    'base64',
  ),
);

describe('probe 2026-12 bypass classes, through the engine', () => {
  it('hostile: joblib-wrapper-constructor-newobj-ex.joblib', async () => {
    const report = await scanBytes(JOBLIB_NEWOBJ_EX_WRAPPER, {}, 'joblib-wrapper-constructor-newobj-ex.joblib');
    const lines = report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n');
    expect(evaluateGate([report], DEFAULT_GATE).pass, lines).toBe(false);
    expect(
      report.findings.some((f) => f.ruleId === 'MS-PKL-001' && f.severity === 'critical'),
      lines,
    ).toBe(true);
  });

  it('hostile: joblib-build-slotstate-shape.joblib', async () => {
    const report = await scanBytes(JOBLIB_SLOTSTATE_SHAPE, {}, 'joblib-build-slotstate-shape.joblib');
    const lines = report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n');
    expect(evaluateGate([report], DEFAULT_GATE).pass, lines).toBe(false);
    expect(
      report.findings.some((f) => f.ruleId === 'MS-PKL-001' && f.severity === 'critical'),
      lines,
    ).toBe(true);
  });

  for (const { name, bytes, hostile } of CASES) {
    it(`${hostile === true ? 'hostile' : hostile || 'benign'}: ${name}`, async () => {
      const report = await scanBytes(bytes, {}, name);
      const lines = report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.message}`).join('\n');
      const gate = evaluateGate([report], DEFAULT_GATE);
      if (hostile === 'incomplete') {
        expect(gate.pass, lines).toBe(false);
        expect(report.verdict, lines).toBe('incomplete');
        expect(
          report.findings.some((f) => f.ruleId === 'MS-PKL-009'),
          lines,
        ).toBe(true);
      } else if (hostile) {
        expect(gate.pass, lines).toBe(false);
        expect(
          report.findings.some((f) => f.ruleId === 'MS-PKL-001' && f.severity === 'critical'),
          lines,
        ).toBe(true);
      } else {
        expect(
          report.findings.filter((f) => atLeast(f.severity, 'high')),
          lines,
        ).toEqual([]);
        expect(gate.pass, lines).toBe(true);
      }
    });
  }
});
