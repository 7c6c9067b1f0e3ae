/**
 * Keras 3's TorchModuleWrapper keeps a torch.nn.Module in config.json as base64(torch.save(module)), and its
 * from_config runs torch.load(io.BytesIO(base64.b64decode(config["module"])), weights_only=False): a pickle inside
 * the JSON. The payload is decoded and scanned as the file torch.load reads (not taken for a module name).
 *
 * Fixtures made with torch 1.13 (/usr/bin/python3): a .keras zip (metadata.json, config.json, empty weights) whose
 * Sequential holds one TorchModuleWrapper layer; evil: torch.save of an object reducing to
 * os.system('touch /tmp/tmw/pwned') (torch.load of the decoded bytes created the file); benign: torch.save(nn.Linear(2, 2)).
 */
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../../packages/core/src/formats/byte-source.js';
import { readZipEntries, readZipEntry } from '../../../packages/core/src/formats/zip/index.js';
import { scanBytes } from '../../../packages/core/src/scan/engine.js';
import { DEFAULT_GATE, evaluateGate } from '../../../packages/core/src/scan/gate.js';

const EVIL =
  'UEsDBBQAAAAAACuTg101Tff4PwAAAD8AAAANAAAAbWV0YWRhdGEuanNvbnsia2VyYXNfdmVyc2lvbiI6ICIzLjMuMyIsICJkYXRlX3NhdmVkIjogIjIwMjQtMDYtMDFAMDA6MDA6MDAifVBLAwQUAAAAAAArk4NdSj4O6G8DAABvAwAACwAAAGNvbmZpZy5qc29ueyJtb2R1bGUiOiAia2VyYXMiLCAiY2xhc3NfbmFtZSI6ICJTZXF1ZW50aWFsIiwgImNvbmZpZyI6IHsibmFtZSI6ICJzZXEiLCAibGF5ZXJzIjogW3sibW9kdWxlIjogImtlcmFzLnNyYy51dGlscy50b3JjaF91dGlscyIsICJjbGFzc19uYW1lIjogIlRvcmNoTW9kdWxlV3JhcHBlciIsICJyZWdpc3RlcmVkX25hbWUiOiAiVG9yY2hNb2R1bGVXcmFwcGVyIiwgImNvbmZpZyI6IHsibmFtZSI6ICJ0b3JjaF9tb2R1bGVfd3JhcHBlciIsICJ0cmFpbmFibGUiOiB0cnVlLCAiZHR5cGUiOiAiZmxvYXQzMiIsICJtb2R1bGUiOiAiVUVzREJBQUFDQWdBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFRQUJJQVlYSmphR2wyWlM5a1lYUmhMbkJyYkVaQ0RnQmFXbHBhV2xwYVdscGFXbHBhV29BQ1kzQnZjMmw0Q25ONWMzUmxiUXB4QUZnVUFBQUFkRzkxWTJnZ0wzUnRjQzkwYlhjdmNIZHVaV1J4QVlWeEFsSnhBeTVRU3djSWRHZUxBalFBQUFBMEFBQUFVRXNEQkFBQUNBZ0FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQVBBQThBWVhKamFHbDJaUzkyWlhKemFXOXVSa0lMQUZwYVdscGFXbHBhV2xwYU13cFFTd2NJMFo1blZRSUFBQUFDQUFBQVVFc0JBZ0FBQUFBSUNBQUFBQUFBQUhSbml3STBBQUFBTkFBQUFCQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFHRnlZMmhwZG1VdlpHRjBZUzV3YTJ4UVN3RUNBQUFBQUFnSUFBQUFBQUFBMFo1blZRSUFBQUFDQUFBQUR3QUFBQUFBQUFBQUFBQUFBQUNFQUFBQVlYSmphR2wyWlM5MlpYSnphVzl1VUVzR0Jpd0FBQUFBQUFBQUhnTXRBQUFBQUFBQUFBQUFBZ0FBQUFBQUFBQUNBQUFBQUFBQUFIc0FBQUFBQUFBQTBnQUFBQUFBQUFCUVN3WUhBQUFBQUUwQkFBQUFBQUFBQVFBQUFGQkxCUVlBQUFBQUFnQUNBSHNBQUFEU0FBQUFBQUE9In19XX19UEsDBBQAAAAAACuTg10AAAAAAAAAAAAAAAAQAAAAbW9kZWwud2VpZ2h0cy5oNVBLAQIUAxQAAAAAACuTg101Tff4PwAAAD8AAAANAAAAAAAAAAAAAACAAQAAAABtZXRhZGF0YS5qc29uUEsBAhQDFAAAAAAAK5ODXUo+DuhvAwAAbwMAAAsAAAAAAAAAAAAAAIABagAAAGNvbmZpZy5qc29uUEsBAhQDFAAAAAAAK5ODXQAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAIABAgQAAG1vZGVsLndlaWdodHMuaDVQSwUGAAAAAAMAAwCyAAAAMAQAAAAA';
const BENIGN =
  'UEsDBBQAAAAAACuTg101Tff4PwAAAD8AAAANAAAAbWV0YWRhdGEuanNvbnsia2VyYXNfdmVyc2lvbiI6ICIzLjMuMyIsICJkYXRlX3NhdmVkIjogIjIwMjQtMDYtMDFAMDA6MDA6MDAifVBLAwQUAAAAAAArk4NdRtvmKA8JAAAPCQAACwAAAGNvbmZpZy5qc29ueyJtb2R1bGUiOiAia2VyYXMiLCAiY2xhc3NfbmFtZSI6ICJTZXF1ZW50aWFsIiwgImNvbmZpZyI6IHsibmFtZSI6ICJzZXEiLCAibGF5ZXJzIjogW3sibW9kdWxlIjogImtlcmFzLnNyYy51dGlscy50b3JjaF91dGlscyIsICJjbGFzc19uYW1lIjogIlRvcmNoTW9kdWxlV3JhcHBlciIsICJyZWdpc3RlcmVkX25hbWUiOiAiVG9yY2hNb2R1bGVXcmFwcGVyIiwgImNvbmZpZyI6IHsibmFtZSI6ICJ0b3JjaF9tb2R1bGVfd3JhcHBlciIsICJ0cmFpbmFibGUiOiB0cnVlLCAiZHR5cGUiOiAiZmxvYXQzMiIsICJtb2R1bGUiOiAiVUVzREJBQUFDQWdBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFRQUJJQVlYSmphR2wyWlM5a1lYUmhMbkJyYkVaQ0RnQmFXbHBhV2xwYVdscGFXbHBhV29BQ1kzUnZjbU5vTG01dUxtMXZaSFZzWlhNdWJHbHVaV0Z5Q2t4cGJtVmhjZ3B4QUNtQmNRRjljUUlvV0FnQUFBQjBjbUZwYm1sdVozRURpRmdMQUFBQVgzQmhjbUZ0WlhSbGNuTnhCR05qYjJ4c1pXTjBhVzl1Y3dwUGNtUmxjbVZrUkdsamRBcHhCU2xTY1FZb1dBWUFBQUIzWldsbmFIUnhCMk4wYjNKamFDNWZkWFJwYkhNS1gzSmxZblZwYkdSZmNHRnlZVzFsZEdWeUNuRUlZM1J2Y21Ob0xsOTFkR2xzY3dwZmNtVmlkV2xzWkY5MFpXNXpiM0pmZGpJS2NRa29LRmdIQUFBQWMzUnZjbUZuWlhFS1kzUnZjbU5vQ2tac2IyRjBVM1J2Y21GblpRcHhDMWdCQUFBQU1IRU1XQU1BQUFCamNIVnhEVXNFZEhFT1VVc0FTd0pMQW9aeEQwc0NTd0dHY1JDSmFBVXBVbkVSZEhFU1VuRVRpR2dGS1ZKeEZJZHhGVkp4RmxnRUFBQUFZbWxoYzNFWGFBaG9DU2dvYUFwb0MxZ0JBQUFBTVhFWWFBMUxBblJ4R1ZGTEFFc0NoWEVhU3dHRmNSdUphQVVwVW5FY2RIRWRVbkVlaUdnRktWSnhINGR4SUZKeElYVllDQUFBQUY5aWRXWm1aWEp6Y1NKb0JTbFNjU05ZR3dBQUFGOXViMjVmY0dWeWMybHpkR1Z1ZEY5aWRXWm1aWEp6WDNObGRIRWtZMTlmWW5WcGJIUnBibDlmQ25ObGRBcHhKVjF4Sm9WeEoxSnhLRmdQQUFBQVgySmhZMnQzWVhKa1gyaHZiMnR6Y1Nsb0JTbFNjU3BZRmdBQUFGOXBjMTltZFd4c1gySmhZMnQzWVhKa1gyaHZiMnR4SzA1WURnQUFBRjltYjNKM1lYSmtYMmh2YjJ0emNTeG9CU2xTY1MxWUVnQUFBRjltYjNKM1lYSmtYM0J5WlY5b2IyOXJjM0V1YUFVcFVuRXZXQkVBQUFCZmMzUmhkR1ZmWkdsamRGOW9iMjlyYzNFd2FBVXBVbkV4V0JvQUFBQmZiRzloWkY5emRHRjBaVjlrYVdOMFgzQnlaVjlvYjI5cmMzRXlhQVVwVW5FeldCc0FBQUJmYkc5aFpGOXpkR0YwWlY5a2FXTjBYM0J2YzNSZmFHOXZhM054TkdnRktWSnhOVmdJQUFBQVgyMXZaSFZzWlhOeE5tZ0ZLVkp4TjFnTEFBQUFhVzVmWm1WaGRIVnlaWE54T0VzQ1dBd0FBQUJ2ZFhSZlptVmhkSFZ5WlhOeE9Vc0NkV0l1VUVzSENEenNISTNxQWdBQTZnSUFBRkJMQXdRQUFBZ0lBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFEZ0FhQUdGeVkyaHBkbVV2WkdGMFlTOHdSa0lXQUZwYVdscGFXbHBhV2xwYVdscGFXbHBhV2xwYVdsb2llYTI3bkRiQ1BySDhGTDhkT0FXL1VFc0hDSUw3ZnBzUUFBQUFFQUFBQUZCTEF3UUFBQWdJQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBRGdBMEFHRnlZMmhwZG1VdlpHRjBZUzh4UmtJd0FGcGFXbHBhV2xwYVdscGFXbHBhV2xwYVdscGFXbHBhV2xwYVdscGFXbHBhV2xwYVdscGFXbHBhV2xwYVdscGFXdFp3aTc2cktrSStVRXNIQ0tsUEpqNElBQUFBQ0FBQUFGQkxBd1FBQUFnSUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUR3QTdBR0Z5WTJocGRtVXZkbVZ5YzJsdmJrWkNOd0JhV2xwYVdscGFXbHBhV2xwYVdscGFXbHBhV2xwYVdscGFXbHBhV2xwYVdscGFXbHBhV2xwYVdscGFXbHBhV2xwYVdscGFXbHBhTXdwUVN3Y0kwWjVuVlFJQUFBQUNBQUFBVUVzQkFnQUFBQUFJQ0FBQUFBQUFBRHpzSEkzcUFnQUE2Z0lBQUJBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUdGeVkyaHBkbVV2WkdGMFlTNXdhMnhRU3dFQ0FBQUFBQWdJQUFBQUFBQUFndnQrbXhBQUFBQVFBQUFBRGdBQUFBQUFBQUFBQUFBQUFBQTZBd0FBWVhKamFHbDJaUzlrWVhSaEx6QlFTd0VDQUFBQUFBZ0lBQUFBQUFBQXFVOG1QZ2dBQUFBSUFBQUFEZ0FBQUFBQUFBQUFBQUFBQUFDZ0F3QUFZWEpqYUdsMlpTOWtZWFJoTHpGUVN3RUNBQUFBQUFnSUFBQUFBQUFBMFo1blZRSUFBQUFDQUFBQUR3QUFBQUFBQUFBQUFBQUFBQUFZQkFBQVlYSmphR2wyWlM5MlpYSnphVzl1VUVzR0Jpd0FBQUFBQUFBQUhnTXRBQUFBQUFBQUFBQUFCQUFBQUFBQUFBQUVBQUFBQUFBQUFQTUFBQUFBQUFBQWtnUUFBQUFBQUFCUVN3WUhBQUFBQUlVRkFBQUFBQUFBQVFBQUFGQkxCUVlBQUFBQUJBQUVBUE1BQUFDU0JBQUFBQUE9In19XX19UEsDBBQAAAAAACuTg10AAAAAAAAAAAAAAAAQAAAAbW9kZWwud2VpZ2h0cy5oNVBLAQIUAxQAAAAAACuTg101Tff4PwAAAD8AAAANAAAAAAAAAAAAAACAAQAAAABtZXRhZGF0YS5qc29uUEsBAhQDFAAAAAAAK5ODXUbb5igPCQAADwkAAAsAAAAAAAAAAAAAAIABagAAAGNvbmZpZy5qc29uUEsBAhQDFAAAAAAAK5ODXQAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAIABogkAAG1vZGVsLndlaWdodHMuaDVQSwUGAAAAAAMAAwCyAAAA0AkAAAAA';

const scan = (b64: string, name: string) => scanBytes(new Uint8Array(Buffer.from(b64, 'base64')), {}, name);

describe('Keras TorchModuleWrapper: the embedded torch.save pickle is scanned', () => {
  it('a payload in the wrapped module is critical, found in the decoded torch archive', async () => {
    const report = await scan(EVIL, 'model.keras');
    expect(evaluateGate([report], DEFAULT_GATE).pass).toBe(false);
    const hit = report.findings.find((f) => f.ruleId === 'MS-PKL-001');
    expect(hit?.severity).toBe('critical');
    expect(hit?.location.members?.join(' > ')).toMatch(/TorchModuleWrapper module.*archive\/data\.pkl/);
  });

  it('an ordinary wrapped nn.Linear is clean (its base64 is not read as a module name)', async () => {
    const report = await scan(BENIGN, 'model.keras');
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(report.verdict).toBe('clean');
  });

  it('the same config.json on its own (read by model_from_json) is judged the same way', async () => {
    const source = memorySource(new Uint8Array(Buffer.from(EVIL, 'base64')));
    const entry = (await readZipEntries(source)).entries.find((e) => e.name === 'config.json');
    const { bytes } = await readZipEntry(source, entry as NonNullable<typeof entry>, { maxBytes: 1 << 20 });
    const report = await scanBytes(bytes, {}, 'config.json');
    expect(report.findings.some((f) => f.ruleId === 'MS-PKL-001' && f.severity === 'critical')).toBe(true);
  });
});
