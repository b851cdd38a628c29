/** The pipeline carries the redrive lineage (REDRIVE_HEADERS) of an input record to every message made from it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import { decodeKafkaEvent } from '../../lib/event-source/kafka-event.js';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { sourceHeaders } from '../../lib/pipeline/kafka-sink.js';
import { processBatch } from '../../lib/pipeline/process-batch.js';
import { CARRIED_HEADERS } from '../../lib/pipeline/redrive-headers.js';
import { kafkaEsmEventFor } from '../../scripts/lib/esm-event.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';

const events = { outputStream: 'out', errorStream: 'err', errorSchemaUri: '/error/2.1.0', emitterId: 'unit' };

test('the pipeline carries the redrive headers of its input to the messages it produces, and nothing else', async () => {
  const event = kafkaEsmEventFor([
    {
      topic: 'in',
      partition: 0,
      offset: 5,
      key: null,
      value: 'not json',
      headers: [
        ['redrive_count', '2'],
        ['redrive_from_offset', '7'],
        ['redrive_other', 'not carried'],
        ['other', 'x'],
      ],
    },
    { topic: 'in', partition: 0, offset: 6, key: null, value: 'not json either' },
  ]);
  const [first, second] = decodeKafkaEvent(event, { carriedHeaders: CARRIED_HEADERS });
  assert.deepEqual(first!.source.carriedHeaders, { redrive_count: '2', redrive_from_offset: '7' });
  assert.equal(second!.source.carriedHeaders, undefined);
  const sink = memorySink();
  const resolver = apiEndpointResolver('http://127.0.0.1:1/api.php', ['dev.wiki.local']);
  const client = { stats: { requests: 0 }, fetchRevisions: async () => undefined, close: async () => undefined };
  await processBatch(event, NO_DEADLINE, {
    client: client as never,
    resolver,
    sink,
    events,
    maxMessageBytes: 1 << 20,
    contentBudgetBytes: 1 << 20,
  });
  assert.deepEqual(sourceHeaders(sink.messages[0]!), {
    redrive_count: '2',
    redrive_from_offset: '7',
    source_topic: 'in',
    source_partition: '0',
    source_offset: '5',
  });
  assert.deepEqual(sourceHeaders(sink.messages[1]!), { source_topic: 'in', source_partition: '0', source_offset: '6' });
});
