/** Types of the untyped decompression libraries, limited to what formats/compression uses. */
declare module 'seek-bzip' {
  interface ByteWriter {
    writeByte(byte: number): void;
  }
  const Bunzip: {
    /** Decodes a bzip2 file (several concatenated streams when `multistream`) into `output`. */
    decode(input: Uint8Array, output: ByteWriter, multistream?: boolean): void;
  };
  export default Bunzip;
}

declare module 'lz4js' {
  /** Decodes one LZ4 block (`src[sIndex..sIndex+sLength)`) into `dst` at `dIndex`; returns the new end of `dst`. */
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
}
