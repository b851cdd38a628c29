/**
 * Secrets never reach logs or error events: the SCRAM password from Secrets Manager, an MSK
 * IAM token (and the AWS credentials that sign it), and a token in MW_API_URL_TEMPLATE's query.
 *
 * The real handler (createHandler + dependenciesFromEnv + the kafkajs sink) runs with every
 * log switch on (Powertools DEBUG, event logging, kafkajs INFO/DEBUG) against a fake TLS broker
 * that refuses SASL and a fault proxy answering every MediaWiki failure kind; console and
 * stdout/stderr are captured. Positive controls show each secret was really in play (fetched,
 * sent to the broker, present in the request URL), and that the capture does see a logged config.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { pageChangeEvent, esmEventOf } from '../../scripts/lib/page-change-events.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';
import { captureOutput, findSecrets, type Capture } from '../support/hostile/capture.js';
import { canMakeCertificate, startFakeBroker, type FakeBroker } from '../support/hostile/fake-kafka-broker.js';
import type { OutboundMessage } from '../../lib/pipeline/sink.js';

// Every log switch on, before the handler's logger is made (lib modules are imported in before()).
process.env.POWERTOOLS_DEV = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
delete process.env.AWS_PROFILE;

const canary = (name: string) => `${name}${randomBytes(12).toString('hex')}`;
const SCRAM_PASSWORD = canary('scramPw');
const MW_TOKEN = canary('mwTok');
const MW_PASSWORD = canary('mwPw');
const AWS_SECRET = canary('awsSecret');
const AWS_SESSION = canary('awsSession');
process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFAKEFAKE0000';
process.env.AWS_SECRET_ACCESS_KEY = AWS_SECRET;
process.env.AWS_SESSION_TOKEN = AWS_SESSION;

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:AmazonMSK_enrich-AbCdEf';
const SECRETS = {
  SCRAM_PASSWORD,
  MW_TOKEN,
  MW_PASSWORD,
  AWS_SECRET_ACCESS_KEY: AWS_SECRET,
  AWS_SESSION_TOKEN: AWS_SESSION,
};

const secretsManagerCalls: unknown[] = [];
/** The IAM token and its signature once the broker has seen them (checked against the file-wide capture too). */
const iamSecrets: Record<string, string> = {};
const originalSend = SecretsManagerClient.prototype.send;
(SecretsManagerClient.prototype as any).send = async function send(command: { input: unknown }) {
  secretsManagerCalls.push(command.input);
  return { SecretString: JSON.stringify({ username: 'enrich-user', password: SCRAM_PASSWORD }) };
};

let proxy: FaultProxy;
let broker: FakeBroker | undefined;
let handlerModule: typeof import('../../functions/page-content-change-enrich/handler.js');
let sinkModule: typeof import('../../lib/pipeline/kafka-sink.js');
let observability: typeof import('../../lib/pipeline/observability.js');
const tlsSetting = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
/** Everything logged while this file runs, including late kafkajs lines from connections closed after a test. */
let fileCapture: Capture | undefined;

before(async () => {
  fileCapture = captureOutput();
  handlerModule = await import('../../functions/page-content-change-enrich/handler.js');
  sinkModule = await import('../../lib/pipeline/kafka-sink.js');
  observability = await import('../../lib/pipeline/observability.js');
  proxy = await startFaultProxy('http://127.0.0.1:9/api.php');
  if (canMakeCertificate()) broker = await startFakeBroker();
  // The fake broker's certificate is self-signed; kafkajs is configured with `ssl: true`.
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
});

after(async () => {
  (SecretsManagerClient.prototype as any).send = originalSend;
  await proxy?.close();
  await broker?.close();
  await new Promise((resolve) => setTimeout(resolve, 200));
  if (tlsSetting === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = tlsSetting;
  fileCapture?.restore();
  const all = fileCapture?.text() ?? '';
  assert.ok(all.includes('batch processed'), 'the file-wide capture saw the handler logs');
  assertNoSecrets('everything logged while the tests ran', all, iamSecrets);
});

/** Every MediaWiki failure the client turns into an error event. */
const FAULTS: Array<{ fault: Fault; errorType: string }> = [
  { fault: { kind: 'status', status: 500 }, errorType: 'MediaWikiHttpServerError' },
  { fault: { kind: 'status', status: 403, body: 'forbidden' }, errorType: 'MediaWikiHttpClientError' },
  {
    fault: {
      kind: 'status',
      status: 302,
      headers: { location: `http://127.0.0.1:9/login?returnto=api.php%3Ftoken%3D${MW_TOKEN}` },
    },
    errorType: 'MediaWikiHttpRedirect',
  },
  { fault: { kind: 'reset' }, errorType: 'MediaWikiNetworkError' },
  { fault: { kind: 'timeout' }, errorType: 'MediaWikiNetworkError' },
  { fault: { kind: 'maxlag', retryAfterSeconds: 0 }, errorType: 'MediaWikiMaxlag' },
  { fault: { kind: 'status', status: 200, body: '<html>not json</html>' }, errorType: 'MediaWikiApiError' },
  {
    fault: {
      kind: 'status',
      status: 200,
      body: JSON.stringify({ error: { code: 'badtoken', info: 'Invalid CSRF token.' } }),
    },
    errorType: 'MediaWikiApiError',
  },
];

function envFor(auth: 'scram' | 'iam', brokers: string, kafkaLogLevel: string): NodeJS.ProcessEnv {
  return {
    MW_API_URL_TEMPLATE: `http://enrich:${MW_PASSWORD}@127.0.0.1:${proxy.port}/w/api.php?token=${MW_TOKEN}&assert=user`,
    MW_API_ALLOWED_DOMAINS: 'dev.wiki.local',
    MW_API_MAX_RETRIES: '1',
    MW_API_RETRY_BASE_MS: '1',
    MW_API_RETRY_MAX_MS: '2',
    MW_API_TIMEOUT_MS: '300',
    MW_API_CONNECT_TIMEOUT_MS: '300',
    MW_API_DEADLINE_MARGIN_MS: '0',
    EMITTER_ID: 'secrets-test',
    KAFKA_BROKERS: brokers,
    KAFKA_AUTH: auth,
    ...(auth === 'scram' ? { KAFKA_SASL_SECRET_ARN: SECRET_ARN } : {}),
    KAFKA_CONNECTION_TIMEOUT_MS: '500',
    KAFKA_REQUEST_TIMEOUT_MS: '1000',
    KAFKA_LOG_LEVEL: kafkaLogLevel,
    AWS_REGION: 'us-east-1',
  };
}

const context = {
  functionName: 'enrich',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:enrich',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/enrich',
  logStreamName: 's',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 20_000,
} as unknown as Context;

/**
 * The client's request timeout is short only where the proxy never answers: elsewhere an answer read late on a busy
 * machine would be a timeout, and another error type than the fault's.
 */
function withTimeoutFor(fault: Fault, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MW_API_TIMEOUT_MS: fault.kind === 'timeout' ? '300' : '600000' };
}

/** Runs the real handler once per MediaWiki fault; returns what it logged and what it tried to produce. */
async function runHandler(env: NodeJS.ProcessEnv, faults = FAULTS) {
  const produced: OutboundMessage[] = [];
  const kafka = sinkModule.kafkaSinkFromEnv(env);
  const sink = {
    async send(messages: readonly OutboundMessage[]) {
      produced.push(...messages);
      return kafka.send(messages);
    },
  };
  const responses: Array<{ batchItemFailures: unknown[] }> = [];
  proxy.reset();
  const capture = captureOutput({ forward: true });
  try {
    for (const { fault } of faults) {
      const deps = handlerModule.dependenciesFromEnv(withTimeoutFor(fault, env), sink);
      const handler = handlerModule.createHandler(() => deps);
      proxy.setDefault(fault);
      const event = esmEventOf([
        pageChangeEvent({ domain: 'dev.wiki.local', revId: 7 }),
        'not json',
        pageChangeEvent({ domain: 'evil.example' }),
      ]);
      try {
        responses.push(await handler(event, context));
      } finally {
        await deps.client.close();
      }
    }
  } finally {
    capture.restore();
    await kafka.disconnect().catch(() => undefined);
  }
  return { logs: capture.text(), lines: capture.lines, produced, responses, faults };
}

function assertNoSecrets(where: string, text: string, extra: Record<string, string> = {}) {
  const found = findSecrets(text, { ...SECRETS, ...extra });
  assert.deepEqual(found, [], `${where} leaks a secret`);
}

function assertRanAsExpected(r: Awaited<ReturnType<typeof runHandler>>) {
  // MediaWiki was called with the token in the URL: it was really in play.
  assert.ok(
    proxy.requests.length >= r.faults.length && proxy.requests.every((q) => q.url.includes(`token=${MW_TOKEN}`)),
    'requests carried the token',
  );
  // Each invocation produced (tried to) one error event per record, of the fault's type; Kafka refused them all.
  const errors = r.produced.map((m) => JSON.parse(m.value));
  assert.equal(errors.length, r.faults.length * 3);
  for (const [i, { errorType }] of r.faults.entries()) {
    assert.deepEqual(
      errors.slice(i * 3, i * 3 + 3).map((e) => e.error_type),
      [errorType, 'InvalidJson', 'DomainNotAllowed'],
      `fault ${i}`,
    );
  }
  for (const res of r.responses)
    assert.ok(res.batchItemFailures.length > 0, 'the broker refused, so records go back for redelivery');
  assert.ok(r.lines.length > 0, 'something was logged');
  assert.ok(r.logs.includes('batch processed'), 'the Powertools logger was captured');
}

test('the capture sees what the logger writes: logging the config would be caught', () => {
  const env = envFor('scram', '127.0.0.1:1', 'ERROR');
  const capture = captureOutput();
  try {
    const { logger } = observability.enrichObservability();
    logger.info('config', { mediawiki: { urlTemplate: env.MW_API_URL_TEMPLATE } });
    logger.debug('credentials', { sasl: { password: SCRAM_PASSWORD } });
    console.error({ deep: { deeper: { deepest: { awsSecret: AWS_SECRET } } } });
    process.stderr.write(`raw ${MW_TOKEN}\n`);
  } finally {
    capture.restore();
  }
  const found = findSecrets(capture.text(), SECRETS);
  for (const name of ['MW_TOKEN', 'MW_PASSWORD', 'SCRAM_PASSWORD', 'AWS_SECRET_ACCESS_KEY'])
    assert.ok(
      found.some((f) => f.startsWith(name)),
      `${name} not detected in ${found}`,
    );
});

for (const kafkaLogLevel of ['ERROR', 'DEBUG']) {
  test(`SCRAM (kafkajs ${kafkaLogLevel}): the Secrets Manager password never appears in logs or error events`, {
    skip: !canMakeCertificate() && 'no openssl for the fake broker certificate',
  }, async () => {
    const r = await runHandler(envFor('scram', `127.0.0.1:${broker!.port}`, kafkaLogLevel));
    assertRanAsExpected(r);
    // The password was fetched from (stubbed) Secrets Manager and SCRAM started with its username.
    assert.ok(
      secretsManagerCalls.some((c) => (c as { SecretId?: string }).SecretId === SECRET_ARN),
      'secret fetched',
    );
    assert.ok(broker!.mechanismsRequested.includes('SCRAM-SHA-512'));
    assert.ok(
      broker!.saslAuthBodies.some((b) => b.includes('n=enrich-user')),
      'SCRAM client-first reached the broker',
    );
    assert.match(r.logs, /authentication failed|SASL/i, 'the Kafka failure was logged');
    assertNoSecrets('logs', r.logs);
    assertNoSecrets('error events', r.produced.map((m) => m.value).join('\n'));
  });
}

test('SCRAM with the broker unreachable: the password stays out of the connection errors', async () => {
  // kafkajs retries the connection for seconds: one invocation is enough.
  const r = await runHandler(envFor('scram', '127.0.0.1:1', 'INFO'), FAULTS.slice(0, 1));
  assertRanAsExpected(r);
  assert.ok(secretsManagerCalls.length >= 1);
  assertNoSecrets('logs', r.logs);
  assertNoSecrets('error events', r.produced.map((m) => m.value).join('\n'));
});

test('MSK IAM: the signed token and the AWS credentials behind it never appear in logs or error events', {
  skip: !canMakeCertificate() && 'no openssl for the fake broker certificate',
}, async () => {
  broker!.saslAuthBodies.length = 0;
  const r = await runHandler(envFor('iam', `127.0.0.1:${broker!.port}`, 'DEBUG'));
  assertRanAsExpected(r);
  // The real signer made a token from the (fake) credentials and kafkajs sent it: it is a real secret here.
  const body = broker!.saslAuthBodies.map((b) => b.toString('latin1')).find((b) => b.includes('auth=Bearer '));
  assert.ok(body, 'an OAUTHBEARER token reached the broker');
  const token = /auth=Bearer ([A-Za-z0-9_\-=.]+)/.exec(body!)![1]!;
  const signedUrl = Buffer.from(token, 'base64url').toString('utf8');
  assert.match(signedUrl, /X-Amz-Signature=[0-9a-f]{64}/);
  assert.ok(signedUrl.includes(encodeURIComponent(AWS_SESSION)), 'the token embeds the session token');
  const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(signedUrl)![1]!;
  Object.assign(iamSecrets, { IAM_TOKEN: token, IAM_SIGNATURE: signature });
  assertNoSecrets('logs', r.logs, { IAM_TOKEN: token, IAM_SIGNATURE: signature });
  assertNoSecrets('error events', r.produced.map((m) => m.value).join('\n'), {
    IAM_TOKEN: token,
    IAM_SIGNATURE: signature,
  });
});

test('MediaWiki URL credentials: error event messages and stacks name the host only', async () => {
  // Directly through the client, every failure kind: message and stack carry neither the token nor userinfo.
  const { fetchAllRevisions, revisionContentClient } = await import('../../lib/mediawiki/revision-content-client.js');
  const { enrichConfigFromEnv } = await import('../../lib/settings/config.js');
  const { errorEventFor } = await import('../../lib/pipeline/error-event.js');
  for (const { fault, errorType } of FAULTS) {
    const config = enrichConfigFromEnv(withTimeoutFor(fault, envFor('scram', '127.0.0.1:1', 'ERROR')));
    const client = revisionContentClient(config.mediawiki);
    try {
      proxy.reset();
      proxy.setDefault(fault);
      const request = { domain: 'dev.wiki.local', revIds: [7], deadline: { remainingMs: () => 600_000 } };
      const result = (await fetchAllRevisions(client, request)).get(7)!;
      assert.equal(result.ok, false);
      const error = (result as { error: Error }).error;
      const e = errorEventFor(error, { text: '{}' }, config.events);
      assert.equal(e.error_type, errorType);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${proxy.port}`), 'the host is named');
      assertNoSecrets(`error event for ${fault.kind}`, JSON.stringify(e));
    } finally {
      await client.close();
    }
  }
});

test('a producer whose SASL authentication failed leaves no connection open', {
  skip: !canMakeCertificate() && 'no openssl for the fake broker certificate',
}, async () => {
  const capture = captureOutput({ forward: true });
  const env = envFor('iam', `127.0.0.1:${broker!.port}`, 'NOTHING');
  const sink = sinkModule.kafkaSinkFromEnv(env);
  const before = broker!.openSockets;
  try {
    for (let i = 0; i < 3; i++) {
      const { failed } = await sink.send([
        { kind: 'output', key: null, value: '{}', bytes: 2, source: { topic: 't', partition: 0, offset: i } },
      ]);
      assert.equal(failed.size, 1);
    }
    await sink.disconnect();
    // The fake broker hears a close when the kernel delivers it: wait for that, not for a fixed span.
    for (let i = 0; i < 300 && broker!.openSockets > before; i++) await new Promise((r) => setTimeout(r, 100));
  } finally {
    capture.restore();
  }
  assert.equal(broker!.openSockets - before, 0, `${broker!.openSockets - before} connection(s) left open after 30 s`);
});
