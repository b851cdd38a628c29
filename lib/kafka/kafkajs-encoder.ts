/**
 * kafkajs's protocol Encoder (2.2.4, pinned in package.json, the last release) zero-fills every
 * buffer it grows to, and grows the records encoder of a batch by doubling, copying what it holds
 * at each step: for 10 KB events, a 16–32 KiB zero-filled buffer per record and a megabyte batch
 * copied log₂ times (issue 21's profile). Two methods are replaced with ones that write the same
 * bytes: growth without zero-fill (bytes past `offset` are never read: `buffer` is a slice up to
 * it, and every write first reserves what it writes), and an encoder array reserved once. The
 * Kafka sink tests and the unit tests in test/unit/kafkajs-encoder.test.ts hold the bytes equal.
 */
import EncoderModule from 'kafkajs/src/protocol/encoder.js';

interface EncoderInstance {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  ensureAvailable(length: number): void;
  writeBufferInternal(buffer: Buffer): void;
  writeEncoderArray(encoders: EncoderInstance[]): EncoderInstance;
}
interface EncoderClass {
  new (initialSize?: number): EncoderInstance;
  nextPowerOfTwo(value: number): number;
  prototype: EncoderInstance;
}

export const KafkajsEncoder = EncoderModule as EncoderClass;

let patched = false;

/** Replaces the two methods, once per process (kafkajs's Encoder is one module for the whole bundle). */
export function patchKafkajsEncoder(): void {
  if (patched) return;
  patched = true;
  const proto = KafkajsEncoder.prototype;
  const writeEncoderArray = proto.writeEncoderArray;
  proto.ensureAvailable = function (this: EncoderInstance, length: number) {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(KafkajsEncoder.nextPowerOfTwo(this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  proto.writeEncoderArray = function (this: EncoderInstance, encoders: EncoderInstance[]) {
    if (Array.isArray(encoders) && encoders.every((e) => e != null && Buffer.isBuffer(e.buf))) {
      let total = 0;
      for (const e of encoders) total += e.offset;
      this.ensureAvailable(total);
    }
    return writeEncoderArray.call(this, encoders);
  };
}
