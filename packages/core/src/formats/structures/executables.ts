/**
 * Compiled code found in ordinary repositories: ELF (Linux `.so` extensions, `.o`, executables), Mach-O (`.dylib`,
 * `.so` on macOS, fat binaries), PE (Windows `.dll`/`.pyd`/`.exe`), CPython bytecode (`.pyc`) and WebAssembly (`.wasm`:
 * onnxruntime-web, transformers.js). None of them is a
 * model payload, all of them are machine or byte code that runs when imported or loaded (`import _ext`,
 * `torch.ops.load_library`, `tf.load_op_library`, `ctypes.CDLL`). Their code cannot be judged by reading it, so the
 * handler reports them by presence (MS-CODE-004); these readers only prove the file is the executable it claims
 * (headers and tables inside the file), so a truncated or forged header is FORMAT_INVALID, not quietly accepted.
 */
import { invalid, limit, type Window } from './window.js';

export type ExecutableFormat = 'elf' | 'macho' | 'pe' | 'pyc' | 'wasm';

/** Mach-O fat headers list at most this many slices; Java class files share the magic with a version >= 45 here. */
const MAX_FAT_ARCHS = 32;
/** Load commands / sections / slices walked in one binary (real ones have tens to a few thousand). */
export const MAX_EXECUTABLE_RECORDS = 100_000;

const MACHO_MAGICS = new Set([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe]);

function u32be(h: Uint8Array, at: number): number {
  return (((h[at] as number) << 24) | ((h[at + 1] as number) << 16) | ((h[at + 2] as number) << 8) | (h[at + 3] as number)) >>> 0;
}

/**
 * CPython bytecode: a two-byte magic number (little-endian), then `\r\n`, a header (4 bytes up to 3.2, 8 up to 3.6,
 * 12 from 3.7: flags, then mtime+size or a source hash) and a marshalled code object (`c`, or `\xe3` with FLAG_REF).
 */
function pycHeaderBytes(head: Uint8Array): number | undefined {
  if (head.length < 17 || head[2] !== 0x0d || head[3] !== 0x0a) return undefined;
  const magic = (head[0] as number) | ((head[1] as number) << 8);
  const isCode = (b: number | undefined) => b === 0x63 || b === 0xe3;
  if (magic >= 3390 && magic < 4000) return isCode(head[16]) ? 16 : undefined; // 3.7+
  if (magic >= 3000 && magic < 3390) return isCode(head[12]) ? 12 : isCode(head[8]) ? 8 : undefined; // 3.0-3.6
  if (magic >= 62000 && magic < 63000) return isCode(head[8]) ? 8 : undefined; // 2.x
  return undefined;
}

/** The executable format `head` opens as, or undefined. */
export function sniffExecutable(head: Uint8Array): ExecutableFormat | undefined {
  if (head.length >= 20 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
    if ((head[4] === 1 || head[4] === 2) && (head[5] === 1 || head[5] === 2) && head[6] === 1) return 'elf';
  }
  if (head.length >= 28 && MACHO_MAGICS.has(u32be(head, 0))) return 'macho';
  if (head.length >= 8 && u32be(head, 0) === 0xcafebabe) {
    const n = u32be(head, 4);
    if (n > 0 && n <= MAX_FAT_ARCHS) return 'macho';
  }
  if (head.length >= 64 && head[0] === 0x4d && head[1] === 0x5a) {
    const lfanew = new DataView(head.buffer, head.byteOffset, head.length).getUint32(0x3c, true);
    if (lfanew + 4 <= head.length && u32be(head, lfanew) === 0x50450000) return 'pe';
  }
  if (pycHeaderBytes(head) !== undefined) return 'pyc';
  if (
    head.length >= 8 &&
    head[0] === 0 &&
    head[1] === 0x61 &&
    head[2] === 0x73 &&
    head[3] === 0x6d &&
    u32be(head, 4) === 0x01000000
  )
    return 'wasm';
  return undefined;
}

async function within(w: Window, what: string, offset: number, length: number, field: string): Promise<void> {
  if (!Number.isSafeInteger(offset + length) || offset < 0 || length < 0 || offset + length > w.size)
    throw invalid(what, `${field} lies outside the file`, { offset });
}

async function checkElf(w: Window): Promise<string> {
  const id = await w.bytes(0, 16);
  const is64 = id[4] === 2;
  const le = id[5] === 1;
  const h = await w.view(0, is64 ? 64 : 52);
  const type = h.getUint16(16, le);
  if (type < 1 || type > 4) throw invalid('elf', `e_type ${type} is not REL, EXEC, DYN or CORE`);
  if (h.getUint32(20, le) !== 1) throw invalid('elf', 'e_version is not 1');
  const num = (at: number) => (is64 ? Number(h.getBigUint64(at, le)) : h.getUint32(at, le));
  const phoff = num(is64 ? 32 : 28);
  const shoff = num(is64 ? 40 : 32);
  const base = is64 ? 52 : 40;
  if (h.getUint16(base, le) !== (is64 ? 64 : 52)) throw invalid('elf', 'e_ehsize does not match the class');
  const phentsize = h.getUint16(base + 2, le);
  const phnum = h.getUint16(base + 4, le);
  const shentsize = h.getUint16(base + 6, le);
  const shnum = h.getUint16(base + 8, le);
  if (phnum > 0) {
    if (phentsize !== (is64 ? 56 : 32)) throw invalid('elf', 'e_phentsize does not match the class');
    await within(w, 'elf', phoff, phnum * phentsize, 'program header table');
  }
  if (shoff !== 0) {
    if (shentsize !== (is64 ? 64 : 40)) throw invalid('elf', 'e_shentsize does not match the class');
    await within(w, 'elf', shoff, shnum * shentsize, 'section header table');
    // Every section with file content (not SHT_NOBITS) lies inside the file.
    for (let i = 0; i < shnum; i++) {
      const s = await w.view(shoff + i * shentsize, shentsize);
      const shType = s.getUint32(4, le);
      const offset = is64 ? Number(s.getBigUint64(24, le)) : s.getUint32(16, le);
      const size = is64 ? Number(s.getBigUint64(32, le)) : s.getUint32(20, le);
      if (shType !== 8 && shType !== 0) await within(w, 'elf', offset, size, `section ${i}`);
    }
  }
  return ['relocatable object', 'executable', 'shared object', 'core dump'][type - 1] as string;
}

async function checkMachoAt(w: Window, at: number, end: number): Promise<void> {
  const magic = (await w.view(at, 4)).getUint32(0, false);
  if (!MACHO_MAGICS.has(magic)) throw invalid('macho', 'slice does not start with a Mach-O magic', { offset: at });
  const le = magic === 0xcefaedfe || magic === 0xcffaedfe;
  const is64 = magic === 0xfeedfacf || magic === 0xcffaedfe;
  const h = await w.view(at, 28);
  const filetype = h.getUint32(12, le);
  const ncmds = h.getUint32(16, le);
  const sizeofcmds = h.getUint32(20, le);
  if (filetype < 1 || filetype > 12) throw invalid('macho', `file type ${filetype} is not a Mach-O file type`);
  if (ncmds > MAX_EXECUTABLE_RECORDS) throw limit('macho', 'load command count', 'MAX_EXECUTABLE_RECORDS');
  let pos = at + (is64 ? 32 : 28);
  const cmdsEnd = pos + sizeofcmds;
  if (cmdsEnd > end) throw invalid('macho', 'load commands run past the slice');
  for (let i = 0; i < ncmds; i++) {
    const c = await w.view(pos, 8);
    const size = c.getUint32(4, le);
    if (size < 8 || size % 4 !== 0 || pos + size > cmdsEnd) throw invalid('macho', `load command ${i} has a bad size`);
    const cmd = c.getUint32(0, le);
    // LC_SEGMENT / LC_SEGMENT_64: the bytes the segment maps lie inside the slice.
    if (cmd === 0x1 || cmd === 0x19) {
      const s = await w.view(pos, cmd === 0x19 ? 56 : 40);
      const fileoff = cmd === 0x19 ? Number(s.getBigUint64(40, le)) : s.getUint32(32, le);
      const filesize = cmd === 0x19 ? Number(s.getBigUint64(48, le)) : s.getUint32(36, le);
      if (at + fileoff + filesize > end) throw invalid('macho', `segment of load command ${i} runs past the slice`);
    }
    pos += size;
  }
  if (pos !== cmdsEnd) throw invalid('macho', 'load commands do not fill sizeofcmds');
}

async function checkMacho(w: Window): Promise<string> {
  const magic = (await w.view(0, 4)).getUint32(0, false);
  if (magic !== 0xcafebabe) {
    await checkMachoAt(w, 0, w.size);
    return 'Mach-O binary';
  }
  const n = (await w.view(4, 4)).getUint32(0, false);
  for (let i = 0; i < n; i++) {
    const a = await w.view(8 + 20 * i, 20);
    const offset = a.getUint32(8, false);
    const size = a.getUint32(12, false);
    await within(w, 'macho', offset, size, `fat slice ${i}`);
    await checkMachoAt(w, offset, offset + size);
  }
  return 'Mach-O universal binary';
}

async function checkPe(w: Window): Promise<string> {
  const lfanew = (await w.view(0x3c, 4)).getUint32(0, true);
  const coff = await w.view(lfanew + 4, 20);
  const sections = coff.getUint16(2, true);
  const optional = coff.getUint16(16, true);
  const characteristics = coff.getUint16(18, true);
  if (sections > MAX_EXECUTABLE_RECORDS) throw limit('pe', 'section count', 'MAX_EXECUTABLE_RECORDS');
  const table = lfanew + 24 + optional;
  await within(w, 'pe', table, sections * 40, 'section table');
  for (let i = 0; i < sections; i++) {
    const s = await w.view(table + 40 * i, 40);
    const rawSize = s.getUint32(16, true);
    const rawPtr = s.getUint32(20, true);
    if (rawSize > 0) await within(w, 'pe', rawPtr, rawSize, `section ${i}`);
  }
  return characteristics & 0x2000 ? 'Windows DLL' : 'Windows executable';
}

/** WebAssembly binary (core spec 5.5): magic, version 1, sections (id 0-12, LEB128 size) to exactly the end. */
async function walkWasm(w: Window): Promise<void> {
  let pos = 8;
  for (let n = 0; pos < w.size; n++) {
    if (n > MAX_EXECUTABLE_RECORDS) throw limit('wasm', 'more sections than allowed', 'MAX_EXECUTABLE_RECORDS');
    const id = await w.u8(pos++);
    if (id > 12) throw invalid('wasm', `section id ${id}`, { offset: pos - 1 });
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift > 28) throw invalid('wasm', 'section size is not a u32 LEB128', { offset: pos });
      const b = await w.u8(pos++);
      size += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
    }
    if (pos + size > w.size) throw invalid('wasm', 'section runs past the end of the file', { offset: pos });
    pos += size;
  }
}

/** Checks the headers and tables of the executable; returns what it is ("shared library"...). FORMAT_INVALID if not. */
export async function checkExecutable(w: Window, format: ExecutableFormat): Promise<string> {
  switch (format) {
    case 'elf':
      return `ELF ${await checkElf(w)}`;
    case 'macho':
      return checkMacho(w);
    case 'pe':
      return checkPe(w);
    case 'wasm':
      await walkWasm(w);
      return 'WebAssembly module';
    case 'pyc': {
      const head = await w.bytes(0, Math.min(w.size, 32));
      if (pycHeaderBytes(head) === undefined) throw invalid('pyc', 'no CPython bytecode header');
      return 'CPython bytecode';
    }
  }
}
