/**
 * Audio files, recognised by their structure (not a magic sniff alone), as images are: the RIFF chunks of WAVE up
 * to the RIFF size (a `fmt ` chunk required), FLAC metadata blocks (STREAMINFO first) up to the first frame sync,
 * every Ogg page to the end of the file, and every MPEG audio frame of an MP3 (behind an optional ID3v2 tag; an
 * ID3v1 tag may close it). Speech and audio model repos ship sample clips (ASR demos, TTS references); none of
 * these formats holds anything a loader executes. `walkAudio` returns where the audio ends: bytes after that are
 * scanned on their own by the handler.
 *
 * FLAC frames are not decoded: past the metadata the walk accepts the rest of the file as frames once the first
 * frame header's sync code is found (FLAC has no frame index and a frame's length is known only by decoding it).
 */
import { invalid, limit, type Window } from './window.js';

export type AudioFormat = 'wav' | 'flac' | 'ogg' | 'mp3';

/** Records (chunks, metadata blocks, pages, frames) walked in one file: an hour of 128 kbit/s MP3 has ~140,000. */
export const MAX_AUDIO_RECORDS = 10_000_000;
/** FLAC metadata blocks before the audio: real files have a handful (a picture, tags, padding, a seek table). */
const MAX_FLAC_METADATA_BLOCKS = 1024;

const ascii = (head: Uint8Array, at: number, text: string) =>
  head.length >= at + text.length && [...text].every((c, i) => head[at + i] === c.charCodeAt(0));

/** The audio format `head` opens as, or undefined. */
export function sniffAudio(head: Uint8Array): AudioFormat | undefined {
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'fLaC')) return 'flac';
  if (ascii(head, 0, 'OggS') && head[4] === 0) return 'ogg';
  if (ascii(head, 0, 'ID3') && head.length >= 10 && (head[3] as number) <= 4 && (head[3] as number) >= 2) return 'mp3';
  // A bare MPEG stream (no tag): two consecutive frame headers, so a stray 0xFFEx start is not taken for one.
  const first = head.length >= 4 ? mpegFrameLength(head[0] as number, head[1] as number, head[2] as number) : undefined;
  if (first !== undefined && head.length >= first + 3) {
    if (mpegFrameLength(head[first] as number, head[first + 1] as number, head[first + 2] as number) !== undefined) return 'mp3';
  }
  return undefined;
}

class Budget {
  private n = 0;
  constructor(private readonly what: string) {}
  tick(): void {
    if (++this.n > MAX_AUDIO_RECORDS) throw limit(this.what, 'more records than allowed', 'MAX_AUDIO_RECORDS');
  }
}

async function walkWav(w: Window): Promise<number> {
  const budget = new Budget('wav');
  const riffSize = (await w.view(4, 4)).getUint32(0, true);
  const end = 8 + riffSize;
  if (riffSize < 4 || end > w.size) throw invalid('wav', 'RIFF size runs past the end of the file');
  let pos = 12;
  let fmt = false;
  while (pos + 8 <= end) {
    budget.tick();
    const id = String.fromCharCode(...(await w.bytes(pos, 4)));
    const size = (await w.view(pos + 4, 4)).getUint32(0, true);
    if (id === 'fmt ') fmt = true;
    pos += 8 + size + (size & 1);
  }
  // The last chunk's pad byte may be missing (some writers omit it); anything else must fill the RIFF size exactly.
  if (pos !== end && pos !== end + 1) throw invalid('wav', 'chunks do not fill the RIFF size');
  if (!fmt) throw invalid('wav', 'no fmt chunk');
  return Math.min(pos, w.size);
}

async function walkFlac(w: Window): Promise<number> {
  let pos = 4;
  for (let block = 0; ; block++) {
    if (block >= MAX_FLAC_METADATA_BLOCKS) throw limit('flac', 'more metadata blocks than allowed', 'MAX_FLAC_METADATA_BLOCKS');
    const header = await w.bytes(pos, 4);
    const last = ((header[0] as number) & 0x80) !== 0;
    const type = (header[0] as number) & 0x7f;
    const length = ((header[1] as number) << 16) | ((header[2] as number) << 8) | (header[3] as number);
    if (block === 0 && (type !== 0 || length !== 34)) throw invalid('flac', 'first metadata block is not a 34-byte STREAMINFO');
    if (type === 127) throw invalid('flac', 'metadata block type 127 is forbidden', { offset: pos });
    pos += 4 + length;
    if (pos > w.size) throw invalid('flac', 'metadata block runs past the end of the file', { offset: pos });
    if (last) break;
  }
  if (pos === w.size) return pos; // metadata only (no frames): valid, if unusual
  const sync = await w.bytes(pos, 2);
  if (sync[0] !== 0xff || ((sync[1] as number) & 0xfe) !== 0xf8)
    throw invalid('flac', 'no frame sync after the metadata', { offset: pos });
  return w.size;
}

async function walkOgg(w: Window): Promise<number> {
  const budget = new Budget('ogg');
  let pos = 0;
  while (pos < w.size) {
    budget.tick();
    const header = await w.bytes(pos, 27);
    if (!ascii(header, 0, 'OggS') || header[4] !== 0) {
      if (pos === 0) throw invalid('ogg', 'not an Ogg page');
      return pos; // bytes after the last page: the handler scans them
    }
    const segments = header[26] as number;
    const table = await w.bytes(pos + 27, segments);
    let body = 0;
    for (const s of table) body += s;
    pos += 27 + segments + body;
    if (pos > w.size) throw invalid('ogg', 'page runs past the end of the file', { offset: pos });
  }
  return pos;
}

/** Bit rates in kbit/s by [MPEG-1 ? 0 : 1][layer 1..3][index]. */
const BITRATES: readonly (readonly (readonly number[])[])[] = [
  [
    [],
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
/** Sample rates by MPEG version bits (3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5) and index. */
const SAMPLE_RATES: Readonly<Record<number, readonly number[]>> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

/** The length of the MPEG audio frame whose header starts with these bytes, or undefined when it is not one. */
function mpegFrameLength(b0: number, b1: number, b2: number): number | undefined {
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  if (version === 1 || layerBits === 0) return undefined;
  const layer = 4 - layerBits; // 1, 2 or 3
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined; // free format or reserved
  const bitrate = (BITRATES[version === 3 ? 0 : 1]?.[layer]?.[bitrateIndex] ?? 0) * 1000;
  const rate = SAMPLE_RATES[version]?.[rateIndex] ?? 0;
  const padding = (b2 >> 1) & 1;
  if (layer === 1) return (Math.floor((12 * bitrate) / rate) + padding) * 4;
  const perFrame = layer === 3 && version !== 3 ? 72 : 144;
  return Math.floor((perFrame * bitrate) / rate) + padding;
}

async function walkMp3(w: Window): Promise<number> {
  const budget = new Budget('mp3');
  let pos = 0;
  const head = await w.bytes(0, Math.min(10, w.size));
  if (ascii(head, 0, 'ID3')) {
    if (head.length < 10) throw invalid('mp3', 'truncated ID3v2 header');
    const size = [6, 7, 8, 9].reduce((n, i) => {
      const b = head[i] as number;
      if (b & 0x80) throw invalid('mp3', 'ID3v2 size is not a syncsafe integer');
      return (n << 7) | b;
    }, 0);
    const footer = ((head[5] as number) & 0x10) !== 0 ? 10 : 0;
    pos = 10 + size + footer;
    // Some writers pad the tag with zeros past its declared size.
    while (pos < w.size && (await w.u8(pos)) === 0) pos++;
  }
  let frames = 0;
  while (pos + 4 <= w.size) {
    const b = await w.bytes(pos, 3);
    const length = mpegFrameLength(b[0] as number, b[1] as number, b[2] as number);
    if (length === undefined || length < 4) break;
    budget.tick();
    if (pos + length > w.size) {
      // The last frame cut short by the encoder or a trim: the decoder drops it.
      if (frames > 0) return w.size;
      throw invalid('mp3', 'first frame runs past the end of the file', { offset: pos });
    }
    pos += length;
    frames++;
  }
  if (frames === 0) throw invalid('mp3', 'no MPEG audio frame', { offset: pos });
  // An ID3v1 tag (128 bytes, "TAG") may close the file.
  if (pos + 128 <= w.size && ascii(await w.bytes(pos, 3), 0, 'TAG')) pos += 128;
  return pos;
}

/** Walks the whole file; returns the offset where the audio ends. Throws FORMAT_INVALID / LIMIT_EXCEEDED. */
export async function walkAudio(w: Window, format: AudioFormat): Promise<number> {
  switch (format) {
    case 'wav':
      return walkWav(w);
    case 'flac':
      return walkFlac(w);
    case 'ogg':
      return walkOgg(w);
    case 'mp3':
      return walkMp3(w);
  }
}
