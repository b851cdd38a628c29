/**
 * The fixes scripts/patch-dependencies.mjs applies on install are in place and do what they say.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);

test('kafkajs RequestQueue: an empty, unthrottled queue arms no timer; a pending request still gets its check', () => {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js');
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const queue = new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: '127.0.0.1:0',
    logger: { namespace: () => logger },
  });
  try {
    queue.scheduleCheckPendingRequests();
    assert.equal(queue.throttleCheckTimeoutId, null, 'no 1 ms re-check loop on an idle connection (kafkajs#1704)');
    queue.pending.push({});
    queue.scheduleCheckPendingRequests();
    assert.notEqual(queue.throttleCheckTimeoutId, null, 'a pending request is checked again later');
  } finally {
    queue.destroy();
  }
});
