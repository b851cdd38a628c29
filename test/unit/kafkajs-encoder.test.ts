/** The kafkajs Encoder patch writes the same bytes as kafkajs's own methods. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KafkajsEncoder, patchKafkajsEncoder } from '../../lib/kafka/kafkajs-encoder.js';

type Op = { kind: 'int32'; v: number } | { kind: 'bytes'; v: Uint8Array } | { kind: 'varint'; v: number };

function encode(ops: Op[], records: Uint8Array[]): Buffer {
  const e = new KafkajsEncoder() as unknown as Record<string, (v: unknown) => unknown> & { buffer: Buffer };
  for (const op of ops) {
    if (op.kind === 'int32') e.writeInt32!(op.v);
    else if (op.kind === 'varint') e.writeVarInt!(op.v);
    else e.writeVarIntBytes!(Buffer.from(op.v));
  }
  const recs = records.map((r) => {
    const re = new KafkajsEncoder() as unknown as { writeBytes(v: Buffer): unknown };
    re.writeBytes(Buffer.from(r));
    return re;
  });
  (e.writeEncoderArray as (v: unknown) => unknown)(recs);
  return Buffer.from(e.buffer);
}

const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('int32' as const), v: fc.integer() }),
    fc.record({ kind: fc.constant('varint' as const), v: fc.integer() }),
    fc.record({ kind: fc.constant('bytes' as const), v: fc.uint8Array({ maxLength: 3000 }) }),
  ),
  { maxLength: 40 },
);
const records = fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 20 });

test('growth without zero-fill and a reserved encoder array write the bytes kafkajs writes', () => {
  const cases = fc.sample(fc.tuple(ops, records), { numRuns: 60, seed: 21 });
  const before = cases.map(([o, r]) => encode(o, r));
  patchKafkajsEncoder();
  patchKafkajsEncoder(); // once per process, however often the sink is created
  for (const [i, [o, r]] of cases.entries()) assert.deepEqual(encode(o, r), before[i]);
  // Dirty memory from earlier buffers never shows: only written bytes are in `buffer`.
  const e = new KafkajsEncoder(1) as unknown as { writeInt32(v: number): unknown; buffer: Buffer };
  for (let i = 0; i < 1000; i++) e.writeInt32(i);
  assert.equal(e.buffer.length, 4000);
  assert.equal(e.buffer.readInt32BE(3996), 999);
});
