/**
 * Probe of 2026-12-04 (second round, issue 11), pickle family: fixtures scanned through the engine entry the CLI uses
 * (scanBytes) and judged by the default gate. Hostile fixtures were run under /usr/bin/python3 (CPython 3.11.2,
 * joblib 1.2.0, numpy 1.24.2); benign twins were written by the real libraries.
 */
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';
import type { FileReport } from '../../../packages/core/src/scan/types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

function lines(report: FileReport): string {
  return [
    ...report.findings.map((f) => `${f.severity} ${f.ruleId} ${f.message}`),
    ...report.errors.map((e) => `error ${e.code} ${e.message}`),
  ].join('\n');
}

/**
 * Class "joblib-dtype-string-read-by-its-first-character": joblib's NumpyArrayWrapper unpickles the bytes after its
 * BUILD when `dtype.hasobject`, and reads them as raw array data otherwise. The joblib reading judged a
 * `numpy.dtype(typestr)` with no BUILD state by the first type character of the string only, so
 * `numpy.dtype('i4,O')` (a structured dtype with an object field: hasobject) was taken as 4-byte ints and the
 * pickle joblib.load runs there was skipped as data. Proven: `joblib.load` of the fixture below ran
 * `os.system('touch /tmp/pp4/pwj')` (file created). Not a gate bypass on its own (pickle.load's reading of the same
 * stream runs into those opcodes and reported MS-PKL-001), but joblib's reading was wrong; a dtype string that is
 * not one type character and size is now not known to that reading, which stops there (fail closed).
 */
describe("a dtype string joblib's reading cannot classify by its first character", () => {
  // NumpyArrayWrapper() BUILD {subclass: ndarray, shape: (11,), order: 'C', dtype: numpy.dtype('i4,O', False, True),
  // allow_mmap: False}, then a 44-byte pickle posix.system('touch /tmp/pp4/pwj   '), then the outer STOP.
  const COMMA_LIST = hex(
    '80048c136a6f626c69622e6e756d70795f7069636b6c658c114e756d70794172726179577261707065729329817d8c08737562636c617373' +
      '8c056e756d70798c076e64617272617993738c0573686170654a0b00000085738c056f726465728c0143738c0564747970658c056e756d70' +
      '798c056474797065938c0469342c4f89888752738c0a616c6c6f775f6d6d617089736280048c05706f7369788c0673797374656d938c1574' +
      '6f756368202f746d702f7070342f70776a20202085522e2e',
  );

  it("numpy.dtype('i4,O') is not read as 4-byte ints: joblib's reading stops (incomplete) and the call is critical", async () => {
    const report = await scanBytes(COMMA_LIST, {}, 'comma-list-dtype.joblib');
    expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(false);
    expect(
      report.findings.map((f) => `${f.ruleId} ${f.severity}`),
      lines(report),
    ).toContain('MS-PKL-001 critical');
    expect(
      report.errors.map((e) => e.code),
      lines(report),
    ).toContain('FORMAT_INVALID');
  });

  it("benign twin: joblib.dump({'a': arange(3, dtype='i4'), 's': array([(1, 'x')], dtype='i4,O'), 'b': array([True, False])}) is clean", async () => {
    const report = await scanBytes(
      hex(
        '800495d2000000000000007d94288c0161948c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d707941727261795772617070' +
          '65729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368617065944b0385948c056f' +
          '72646572948c0143948c056474797065946808680f93948c02693494898887945294284b038c013c944e4e4e4affffffff4affffffff4b0074' +
          '94628c0a616c6c6f775f6d6d617094888c1b6e756d70795f61727261795f616c69676e6d656e745f6279746573944b10756202ffff000000' +
          '0001000000020000009586000000000000008c01739468042981947d94286807680a680b4b018594680d680e680f68108c03563132948988' +
          '87945294284b038c017c944e8c026630948c0266319486947d9428682068134b008694682168108c024f3894898887945294284b03681f4e' +
          '4e4e4affffffff4affffffff4b3f7494624b048694754b0c4b014b1b74946268168968174b1075628002636e756d70792e636f72652e6d75' +
          '6c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e6461727261790a71014b00857102635f636f646563730a65' +
          '6e636f64650a7103580100000062710458060000006c6174696e317105867106527107877108527109284b014b0185710a636e756d70790a' +
          '64747970650a710b5803000000563132710c898887710d52710e284b0358010000007c710f4e5802000000663071105802000000663171118671' +
          '127d7113286810680b5802000000693471148988877115527116284b0358010000003c71174e4e4e4affffffff4affffffff4b00747118624b' +
          '008671196811680b58020000004f38711a898887711b52711c284b03680f4e4e4e4affffffff4affffffff4b3f74711d624b0486711e754b0c' +
          '4b014b1b74711f62895d71204b01580100000078712186712261747123622e9549000000000000008c01629468042981947d94286807680a68' +
          '0b4b028594680d680e680f68108c02623194898887945294284b03681f4e4e4e4affffffff4affffffff4b0074946268168868174b1075620' +
          '7ffffffffffffff0100752e',
      ),
      {},
      'twin.joblib',
    );
    expect(
      report.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity)),
      lines(report),
    ).toEqual([]);
    expect(report.errors, lines(report)).toEqual([]);
    expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(true);
  });
});

/**
 * Class "persistent-id-location-method": torch's persistent_load (legacy and zip) passes a storage id's location to
 * default_restore_location, whose deserializers call `location.startswith('cuda')`: CPython looks that method up
 * on the instance, so a location that is an object with a callable `startswith` attribute is called by the load.
 * Proven: `torch.load(f, weights_only=False)` (torch 1.13) of the fixture below wrote 'cuda' to /tmp/pp4/pwl
 * (then raised on the missing CUDA device). Before the fix the bound write_text was only "referenced" (high, the
 * gate failed on that alone); it is now judged called (critical), as the other attributes the load calls.
 */
describe('a storage location whose startswith the load calls', () => {
  // legacy torch file: magic, protocol 1001, sys_info, then BINPERSID ('storage', torch.FloatStorage, '0',
  // SimpleNamespace() BUILD {'startswith': getattr(PosixPath('/tmp/pp4/pwl'), 'write_text')}, 1, None), keys ['0'].
  const LOCATION = hex(
    '80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e71014de90358' +
      '0d0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d710428580500000073686f727471054b02' +
      '5803000000696e7471064b0458040000006c6f6e6771074b0475752e8002288c0773746f726167658c05746f7263688c0c466c6f6174' +
      '53746f72616765938c01308c0574797065738c0f53696d706c654e616d6573706163659329527d8c0a737461727473776974688c0862' +
      '75696c74696e738c0767657461747472938c07706174686c69628c09506f73697850617468938c0c2f746d702f7070342f70776c8552' +
      '8c0a77726974655f74657874865273624b014e74512e80025d71005801000000307101612e010000000000000000000000',
  );
  it("the callable stored as the location's startswith is called (critical)", async () => {
    const report = await scanBytes(LOCATION, {}, 'legacy-location.pt');
    expect(evaluateGate([report], DEFAULT_GATE).pass, lines(report)).toBe(false);
    expect(
      report.findings.map((f) => `${f.ruleId} ${f.severity}`),
      lines(report),
    ).toContain('MS-PKL-001 critical');
  });
});
