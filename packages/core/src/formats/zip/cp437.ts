/**
 * Code page 437, the encoding CPython's zipfile uses for member names whose UTF-8 flag (bit 11) is clear. Bytes
 * 0x00-0x7f are ASCII; 0x80-0xff map to the characters below (IBM PC code page 437, as Python's cp437 codec maps it).
 */
const HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

export function decodeCp437(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte < 0x80 ? String.fromCharCode(byte) : (HIGH[byte - 0x80] as string);
  return out;
}
