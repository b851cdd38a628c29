/**
 * The local Lambda runtime's pure parts (scripts/lambda-runtime/): how an answer of the Runtime Interface Emulator is
 * read as Lambda reports the invocation (function error, Runtime.OutOfMemory, timeout; Telemetry API platform.report
 * status and errorType), the REPORT line ("Working with Lambda function logs"), and which local settings override the
 * template's environment.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { outcomeOf, rapidTiming, reportLine } from '../../scripts/lambda-runtime/outcome.js';
import { environmentWithOverrides } from '../../scripts/lambda-runtime/synthesized-function.js';

const requestId = 'f00d';

describe('an invocation as Lambda reports it', () => {
  test("the handler's result is the response; the sandbox stays", () => {
    const o = outcomeOf({ requestId, status: 200, body: '{"batchItemFailures":[]}', oomKilled: false });
    assert.deepEqual(o, { kind: 'success', payload: '{"batchItemFailures":[]}', sandboxSurvives: true });
  });

  test('a thrown error is a function error with its errorType; the sandbox stays', () => {
    const body = '{"errorType":"TypeError","errorMessage":"boom","trace":[]}';
    const o = outcomeOf({ requestId, status: 200, body, oomKilled: false });
    assert.equal(o.kind, 'function-error');
    assert.equal(o.errorType, 'TypeError');
    assert.equal(o.payload, body);
    assert.equal(o.sandboxSurvives, true);
  });

  test('a runtime killed by the memory cgroup is Runtime.OutOfMemory, whatever the emulator said', () => {
    const body = `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ${requestId} Error: Runtime exited with error: signal: killed"}`;
    const o = outcomeOf({ requestId, status: 502, body, oomKilled: true });
    assert.equal(o.kind, 'out-of-memory');
    assert.deepEqual(JSON.parse(o.payload), {
      errorType: 'Runtime.OutOfMemory',
      errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
    });
    assert.equal(o.sandboxSurvives, false);
  });

  test("the emulator's timeout text is a timeout (Sandbox.Timedout); the sandbox ends", () => {
    const o = outcomeOf({ requestId, status: 200, body: 'Task timed out after 120.00 seconds', oomKilled: false });
    assert.equal(o.kind, 'timeout');
    assert.deepEqual(JSON.parse(o.payload), {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after 120.00 seconds`,
    });
    assert.equal(o.sandboxSurvives, false);
  });

  test('a runtime that exited on its own is Runtime.ExitError; the sandbox ends', () => {
    const body =
      '{"errorType":"Runtime.ExitError","errorMessage":"RequestId: f00d Error: Runtime exited with error: exit status 7"}';
    const o = outcomeOf({ requestId, status: 502, body, oomKilled: false });
    assert.equal(o.kind, 'runtime-exit');
    assert.equal(o.errorType, 'Runtime.ExitError');
    assert.equal(o.sandboxSurvives, false);
  });

  test('a result that merely is not JSON is still a result', () => {
    assert.equal(outcomeOf({ requestId, status: 200, body: 'plain', oomKilled: false }).kind, 'success');
  });
});

describe('the REPORT line', () => {
  test('cold start: durations to 2 decimals, billed rounded up, init duration, measured memory', () => {
    const line = reportLine({
      requestId,
      durationMs: 976.941,
      initDurationMs: 777.16,
      memorySizeMb: 512,
      maxMemoryUsedMb: 23,
    });
    assert.equal(
      line,
      `REPORT RequestId: ${requestId}\tDuration: 976.94 ms\tBilled Duration: 977 ms\tMemory Size: 512 MB\t` +
        'Max Memory Used: 23 MB\tInit Duration: 777.16 ms',
    );
  });

  test('a failed invocation says its status and error type; memory not measured says unknown', () => {
    const line = reportLine({
      requestId,
      durationMs: 2000,
      memorySizeMb: 128,
      status: 'timeout',
      errorType: 'Sandbox.Timedout',
    });
    assert.match(line, /\tMax Memory Used: unknown MB\tStatus: timeout\tError Type: Sandbox.Timedout$/);
  });

  test("the emulator's init and runtime-done lines carry the durations", () => {
    assert.deepEqual(rapidTiming('07 Dec 2026 22:16:48,575 [INFO] (rapid) INIT REPORT(durationMs: 184.035000)'), {
      initDurationMs: 184.035,
    });
    assert.deepEqual(
      rapidTiming('[INFO] (rapid) INVOKE RTDONE(status: success, produced bytes: 0, duration: 8.089000ms)'),
      { invokeDurationMs: 8.089 },
    );
    assert.equal(rapidTiming('START RequestId: x Version: $LATEST'), undefined);
  });
});

describe("the function's environment: the template's, local settings over it", () => {
  const template = { KAFKA_BROKERS: '127.0.0.1:9092', OUTPUT_TOPIC: 'out', EMITTER_ID: 'e' };

  test('a setting given locally overrides the template and is named with its source and the old value', () => {
    const { environment, overrides } = environmentWithOverrides(
      template,
      { KAFKA_BROKERS: '127.0.0.1:18402', MW_API_URL_TEMPLATE: 'http://127.0.0.1:8766/api.php', EMITTER_ID: 'e' },
      (name) => (name === 'KAFKA_BROKERS' ? 'KAFKA_PORT' : '--demo-wiki'),
    );
    assert.deepEqual(environment, {
      KAFKA_BROKERS: '127.0.0.1:18402',
      OUTPUT_TOPIC: 'out',
      EMITTER_ID: 'e',
      MW_API_URL_TEMPLATE: 'http://127.0.0.1:8766/api.php',
    });
    assert.deepEqual(overrides, [
      { name: 'KAFKA_BROKERS', template: '127.0.0.1:9092', value: '127.0.0.1:18402', source: 'KAFKA_PORT' },
      {
        name: 'MW_API_URL_TEMPLATE',
        template: undefined,
        value: 'http://127.0.0.1:8766/api.php',
        source: '--demo-wiki',
      },
    ]);
  });

  test("a shell's unrelated variables (HOME, NODE_OPTIONS, PATH) do not reach the function", () => {
    const { environment, overrides } = environmentWithOverrides(
      template,
      { HOME: '/root', NODE_OPTIONS: '--import tsx', PATH: '/bin', POWERTOOLS_LOG_LEVEL: 'WARN' },
      () => 'your shell',
    );
    assert.deepEqual(Object.keys(environment).sort(), [
      'EMITTER_ID',
      'KAFKA_BROKERS',
      'OUTPUT_TOPIC',
      'POWERTOOLS_LOG_LEVEL',
    ]);
    assert.deepEqual(
      overrides.map((o) => o.name),
      ['POWERTOOLS_LOG_LEVEL'],
    );
  });
});
