// Types for the two pure-JS compression libraries lib/kafka/kafka-codecs.ts uses (they ship none).
declare module 'snappyjs' {
  export function compress(input: Uint8Array): Uint8Array;
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
  const snappy: { compress: typeof compress; uncompress: typeof uncompress };
  export default snappy;
}
declare module 'lz4js' {
  export function compress(input: Uint8Array, maxSize?: number): Uint8Array;
  export function decompress(input: Uint8Array, maxSize?: number): Uint8Array;
  const lz4: {
    compress: typeof compress;
    decompress: typeof decompress;
    compressBound: typeof compressBound;
    compressBlock: typeof compressBlock;
  };
  export default lz4;
}
declare module 'lz4js' {
  export function compressBound(n: number): number;
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
}
declare module 'lz4js/xxh32.js' {
  export function hash(seed: number, src: Uint8Array, index: number, length: number): number;
  const xxh32: { hash: typeof hash };
  export default xxh32;
}
