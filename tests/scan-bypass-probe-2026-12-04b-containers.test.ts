/**
 * Bypasses found by the second 2026-12-04 probe of containers and non-pickle formats (issue 11), one fixture per
 * class, scanned through the engine entry the CLI uses (scanBytes) with the default gate. Each hostile fixture was
 * proven against its victim with /usr/bin/python3 (the library named at each class) while `modelsec scan` passed
 * it (exit 0) before the fix; each benign twin stays clean.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scanBytes } from '../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../packages/core/src/scan/gate.js';
import { atLeast } from '../packages/core/src/scan/types.js';

type Expect = 'high' | 'critical' | 'incomplete' | 'clean';
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const gz64 = (s: string): Uint8Array => new Uint8Array(gunzipSync(Buffer.from(s, 'base64')));

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

describe('probe 2026-12-04b: Keras configs outside config.json embed TorchModuleWrapper payloads', () => {
  // Class "keras-embedded-outside-config-json": checkKerasConfig collects TorchModuleWrapper's base64 torch.save
  // bytes, but only templates.ts (config.json) scanned them; an HDF5 root model_config attribute (Keras 3's
  // legacy_h5_format deserializes it; TorchModuleWrapper is exported in keras.layers) and a SavedModel
  // keras_metadata.pb node's metadata passed clean. Proof (torch 1.13, h5py 3.7): the h5 was written with
  // h5py.File(...).attrs['model_config'] = json.dumps(config); reading it back and running what
  // TorchModuleWrapper.from_config runs, torch.load(io.BytesIO(base64.b64decode(config["module"])),
  // weights_only=False), created /tmp/pc4/pwned (payload: os.system('touch /tmp/pc4/pwned')).
  // Fixture: gzip of the 6144-byte h5; the benign twin wraps torch.save(nn.Linear(2, 2)).
  const EVIL_H5 =
    'H4sIAAAAAAACA+1Vb2/SQBwum0vIspmZ+EJ9tfS1IVgkDhMTr6VAJ/tTGINiDDvarlS60rWFwhbe6zfxo/it9O64Qku2OKOv9B7C3fX35/k9ba+/+1orV3a3X2xzGNks94jb45L4QcE9W7umuKBzhs5f6PxtI7ZvER9NR+wL/v3NdOJZQ5aT/Ot1GP5v1GRwiucOvc7S+ftGOi7eh6d/qe4Tul/X9/UOV6P1drmnSM3VyDCdnj5yL20L259nMiRzb6kpm9KnbK5uIpPie0z4hqYPg97E9AN75D6AbyvxUDYI33vqzxK+PtSHpmv8Fs8m23YMDP80qtJJPcPRhrDenxBued2BQdBz4ZXJv93nm+b12HRDGzr8y31+0e+Q/ZaPAwLzGnscOEO9Cxk+3vKoN44d4iRdLRf4em4c2k6QC0e+PuiRNaFLlTrDziOS2/ah55k+jvFNyw5C0zeNXwTeoS3C9tCHtgv7RFDoj01kMsKZRwIunREMCwIOW4luyUFZBABIwAL3QAWiArTO4WdYdYRuszTUOo1B3RX9vtyVypYI246X/o+ApBXEiS44ryX3uKgXGk5f9aagYrUwoVEtvdIEy6oXGqEulSLtRp3oNWPcbTemQDufAudwCmZFtRnpyhtwPT27UXFaHg8P0HsKwEFSr9DtHN7AdmncGCp1UElrPYo8UiffLbrnqgII9aKOSEsoUsx8En0IWgdExzEexHsUVCszTRh4xlVr0q1W8lqzGEFhiurIlMpS4tD1uuVonUyS8XjX/SCNVdFeJdSsozCVunpE0iooWC7zS7+ItGk1spTzYuLNA1AR66KqxXzSIr/cpBHv+Pn803zOrc7m5TmLUMihX+Ksje3ky0h8pxc7rFcxMDAwMDAwMDAwMPwZfgLwVp62ABgAAA==';
  const BENIGN_H5 =
    'H4sIAAAAAAACA+1XW2/jVBBOd1lUrVi0SDwAT1VeF1WJvdliJCRsx9dc2jiNbwgV3+IkvjZObCervsM/4WfwyF/hV8Acx0mTNLsUwQuQiazjnJn55jszc47tn/gm++L5F88rSE5PKx9UXla25fdSKp/t/S/lh3I8Kccfy/HnJ+v5Z4WudAf0Ff7Z013Ha4lhtvH34xzl/y08Q16hUS3/n5bjr0927dZ9ePUPxf2k7Nf9vv6owpfxXlQ+BTZBZDv+jRWFw7GL5j8/OSk8X244ne7w++30fhEnO3gfF3ieMzWSm9SZJuMofATes62kPCnwvi31pwWeaVieE9p/Cefpse2OcpT/tHD0ZfukUh4I++cTyNuq5RtJchMagVP9+qzad27nTjgbG371y7Pq6ryD+bfVtUHi3CKNbyzg7IKJ795W4Wyc+4WyONXOk6l1Pp+N/eR8Fk2t0U1xX8DthLpGyk7hq0yNOHamyGbquONk5kwd+08MD3DL0PxsaoxDwywIzaZzB6bs2SIuDIZ+ZMxwDJndkx4wSZMiSZImXfId0iMpgdRUcWJwPqb3CU9TpVE7pKYmo9NNlzIUP969IpLWcCm1gm7UDhrzdlBPdV5OdLUzNzl/rivsgvby2AzkkeXGOUkHlNVjCasnRErBg6pZAQt6sMWZ5ph124iIilMjmJ/pquRbYTenuO7ExPJEV7o1QyHmVhZfWQHoAtmTOH9ik3FO9f2+1dMAV0O4uK74ocFLOYV1ayYOa6IbQ1uVYpPvtFRc9LVQjk1OGlocu9CUum9z8oIOGWGzHp+o25yfQKwhxBnbip/oLFHTlcYS8Ib2RGhZPS9qsS6POFuFHxvqKtNaY9CenpgYWxusdb04p+suKgPZ4ZmOQnYQ14nFy3lzkDA2z1wOBgnZz8Q2Gel5s5bQ/YzjLIkWDXIQD0JGAps+jNdjzmVbspizgp2zaPRdBuFqgT+ycEY1yFFE993IIONoE1NlNIOst8lQyjmZbZNMQo9UxoAYrCXN1zEsiGHD6Kxj8K/tXGDFXFBljUZALAH50ANdFZdWX4yK3Pe7GpcVurmJNSCv8sLC/CXkdW5v2at41wd8T6sTw6IGPNTEJ4Z0CPNQR1Gu52Ik52JdzCG3V0U/YOJIw2Y49KanYqPUxGYQ1y/jxhrrFnFjq04EtpInB+zzVq2hNVd2AdRvDysvseoas2+DUwtdJiITI6aQ13mZo1ShULqpIdR9BGsc6qgP2Y1dVtrlChUVdiZHjKB/IB9sDfA8A3p5D3tR+iwVKnmfTwoxhwZHpAbezbtljbqyK6xytd6DoAtKXX21rwylMdRhL9q8vED6S6i/QqKiUSnsjV3dIKFtRZjDucHTzWXCC/gt2rJvUBiWapNZD/xWMQ8J5Nog0d7CRrEdDFId1qD1v8okT1BINn54lmyu28vBTCAW3pssTVuUcX1xO8EVouBxeZV6jQEKTBbN/jgetQM8cuCRvZ/HI67JRU9sXixS23pV8Gu7I2cpFFzox/LLyIttfnZQ7JvU9HS6m1F/j9/W1cniXj+zhJreCOXePUXgTZWPBIHekNqrN/UO8g/y2sgMLIc4TAl1v+7Xr15d+1L5nFnVZV/eoFZ88PxZUgfx5jR70XELEOEwHu0exmMP4u3npZk94KehNGzhYeg8Q88jyCFHje8deLcz23bcSh+zubvqbG49t7e2BG4av6rGgN16Mhe9RPW0NR6z8qf7JfY31bu77+/uKvffTpvvIBD8HH5b30Lr+eLNZes96pcPj++SRznKUY5ylH+P/AFou94uABgAAA==';
  // SavedMetadata { nodes { node_id 0; node_path "root"; identifier "_tf_keras_layer"; metadata <JSON> } },
  // the JSON a TorchModuleWrapper layer whose module is the same kind of torch.save payload.
  const KERAS_METADATA =
    'CtAFEAAaBHJvb3QiD190Zl9rZXJhc19sYXllciq0BXsiY2xhc3NfbmFtZSI6ICJUb3JjaE1vZHVsZVdyYXBwZXIiLCAicmVnaXN0ZXJlZF9uYW1lIjogIlRvcmNoTW9kdWxlV3JhcHBlciIsICJjb25maWciOiB7Im5hbWUiOiAidyIsICJtb2R1bGUiOiAiVUVzREJBQUFDQWdBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFRQUJJQVlYSmphR2wyWlM5a1lYUmhMbkJyYkVaQ0RnQmFXbHBhV2xwYVdscGFXbHBhV29BQ1kzQnZjMmw0Q25ONWMzUmxiUXB4QUZnVkFBQUFkRzkxWTJnZ0wzUnRjQzl3WXpRdmNIZHVaV1F5Y1FHRmNRSlNjUU11VUVzSENCUVF0akUxQUFBQU5RQUFBRkJMQXdRQUFBZ0lBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFEd0FPQUdGeVkyaHBkbVV2ZG1WeWMybHZia1pDQ2dCYVdscGFXbHBhV2xwYU13cFFTd2NJMFo1blZRSUFBQUFDQUFBQVVFc0JBZ0FBQUFBSUNBQUFBQUFBQUJRUXRqRTFBQUFBTlFBQUFCQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFHRnlZMmhwZG1VdlpHRjBZUzV3YTJ4UVN3RUNBQUFBQUFnSUFBQUFBQUFBMFo1blZRSUFBQUFDQUFBQUR3QUFBQUFBQUFBQUFBQUFBQUNGQUFBQVlYSmphR2wyWlM5MlpYSnphVzl1VUVzR0Jpd0FBQUFBQUFBQUhnTXRBQUFBQUFBQUFBQUFBZ0FBQUFBQUFBQUNBQUFBQUFBQUFIc0FBQUFBQUFBQTBnQUFBQUFBQUFCUVN3WUhBQUFBQUUwQkFBQUFBQUFBQVFBQUFGQkxCUVlBQUFBQUFnQUNBSHNBQUFEU0FBQUFBQUE9In19';

  it('an HDF5 model_config TorchModuleWrapper payload is critical, found in the decoded torch archive', async () => {
    await check('model.h5', gz64(EVIL_H5), 'critical', 'MS-PKL-001');
    const report = await scanBytes(gz64(EVIL_H5), {}, 'model.h5');
    const hit = report.findings.find((f) => f.ruleId === 'MS-PKL-001');
    expect(hit?.location.members?.join(' > ')).toMatch(/@model_config#\/config\/layers\/0\/config\/module.*archive\/data\.pkl/);
  });

  it('an HDF5 model_config wrapping an ordinary nn.Linear stays clean', async () => {
    await check('model.h5', gz64(BENIGN_H5), 'clean');
  });

  it('a keras_metadata.pb node metadata TorchModuleWrapper payload is critical', async () => {
    await check('keras_metadata.pb', b64(KERAS_METADATA), 'critical', 'MS-PKL-001');
  });
});
