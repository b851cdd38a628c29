/**
 * Mutual TLS end to end on a real broker that requires client certificates (issue 9 §5): the function's
 * producer, the topic provisioner and create-topics all build their client with lib/kafka/kafka-client.ts from the
 * environment the stack sets (infra/constructs/kafka-connection.ts), and present the client certificate from
 * a secret in the format the event source mapping's CLIENT_CERTIFICATE_TLS_AUTH reads.
 *
 * Certificates are made at test time with openssl and keytool. A second broker runs on its own ports and
 * state directory (KAFKA_MTLS_PORT / _CONTROLLER_PORT / _SSL_PORT, default 9313/9314/9315; .local/kafka-mtls),
 * with a PLAINTEXT listener for start.sh's readiness check and for reading back, and an SSL listener with
 * ssl.client.auth=required. Secrets Manager is the one stand-in: a local GetSecretValue endpoint that the real
 * AWS SDK client reaches through AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { kafkaClientEnvironment } from '../../infra/constructs/kafka-connection.ts';
import { handler as topicProvisioner } from '../../functions/topic-provisioner/handler.ts';
import { createKafka, forgetCachedSecrets, kafkaConnectionConfigFromEnv } from '../../lib/kafka/kafka-client.ts';
import { kafkaSinkFromEnv } from '../../lib/pipeline/kafka-sink.ts';
import type { OutboundMessage } from '../../lib/pipeline/sink.ts';
import { consumeAll, createTopics, kafkaClient, REPO_ROOT, uniqueTopicName } from '../../scripts/kafka/broker.ts';

const execFileAsync = promisify(execFile);

const PLAINTEXT_PORT = Number(process.env.KAFKA_MTLS_PORT ?? 9313);
const CONTROLLER_PORT = Number(process.env.KAFKA_MTLS_CONTROLLER_PORT ?? 9314);
const SSL_PORT = Number(process.env.KAFKA_MTLS_SSL_PORT ?? 9315);
const LOCAL_DIR = path.join(REPO_ROOT, '.local', 'kafka-mtls');
const CERTS = path.join(LOCAL_DIR, 'certs');
const PLAINTEXT = [`127.0.0.1:${PLAINTEXT_PORT}`];
const SSL_BROKERS = [`127.0.0.1:${SSL_PORT}`];
const STORE_PASSWORD = 'changeit-test-only';

const SECRET = (name: string) => `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-AbCdEf`;
const CLIENT_CERT_SECRET = SECRET('kafka-client-certificate');
const ENCRYPTED_KEY_SECRET = SECRET('kafka-client-certificate-encrypted');
const ROOT_CA_SECRET = SECRET('kafka-root-ca');

const brokerEnv = {
  ...process.env,
  KAFKA_LOCAL_DIR: LOCAL_DIR,
  KAFKA_PORT: String(PLAINTEXT_PORT),
  KAFKA_CONTROLLER_PORT: String(CONTROLLER_PORT),
  KAFKA_EXTRA_PROPERTIES: [
    `listeners=PLAINTEXT://127.0.0.1:${PLAINTEXT_PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT},` +
      `SSL://127.0.0.1:${SSL_PORT}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${PLAINTEXT_PORT},SSL://127.0.0.1:${SSL_PORT}`,
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL',
    `listener.name.ssl.ssl.keystore.location=${path.join(CERTS, 'broker.p12')}`,
    'listener.name.ssl.ssl.keystore.type=PKCS12',
    `listener.name.ssl.ssl.keystore.password=${STORE_PASSWORD}`,
    `listener.name.ssl.ssl.key.password=${STORE_PASSWORD}`,
    `listener.name.ssl.ssl.truststore.location=${path.join(CERTS, 'truststore.p12')}`,
    'listener.name.ssl.ssl.truststore.type=PKCS12',
    `listener.name.ssl.ssl.truststore.password=${STORE_PASSWORD}`,
    'listener.name.ssl.ssl.client.auth=required',
  ].join('\n'),
};
delete (brokerEnv as Record<string, unknown>).KAFKA_BROKERS;

const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { cwd: CERTS, stdio: ['ignore', 'ignore', 'pipe'] });
const pem = (file: string) => readFileSync(path.join(CERTS, file), 'utf8');

/** A test CA, a broker certificate for 127.0.0.1 in PKCS12 stores, a client certificate (plain and encrypted key). */
function makeCertificates(): void {
  rmSync(CERTS, { recursive: true, force: true });
  mkdirSync(CERTS, { recursive: true });
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    ...subj('mw-enrich-test-ca'),
  ]);
  const sign = (name: string, ext: string) => {
    writeFileSync(path.join(CERTS, `${name}.ext`), `${ext}\n`);
    run('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      ...subj(name),
    ]);
    run('openssl', [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  };
  sign('broker', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  sign('client', 'extendedKeyUsage=clientAuth');
  run('openssl', [
    'pkcs12',
    '-export',
    '-in',
    'broker.pem',
    '-inkey',
    'broker.key',
    '-certfile',
    'ca.pem',
    '-name',
    'broker',
    '-out',
    'broker.p12',
    '-passout',
    `pass:${STORE_PASSWORD}`,
  ]);
  run('keytool', [
    '-importcert',
    '-noprompt',
    '-alias',
    'test-ca',
    '-file',
    'ca.pem',
    '-keystore',
    'truststore.p12',
    '-storetype',
    'PKCS12',
    '-storepass',
    STORE_PASSWORD,
  ]);
  // AWS ("Configuring cluster authentication methods in Lambda"): the event source mapping reads PBES1, not
  // PBES2, encrypted keys; the function must read the same secret.
  run('openssl', [
    'pkcs8',
    '-topk8',
    '-in',
    'client.key',
    '-out',
    'client-encrypted.key',
    '-v1',
    'PBE-SHA1-3DES',
    '-passout',
    'pass:client-key-password',
  ]);
}

/** Uses the main local broker's jars when they are there, so this second broker needs no second Maven fetch. */
function shareBrokerJars(): void {
  const mainLibs = path.join(REPO_ROOT, '.local', 'kafka', 'libs');
  const libs = path.join(LOCAL_DIR, 'libs');
  const complete = existsSync(mainLibs) && readdirSync(mainLibs).some((f) => f.startsWith('.complete-'));
  if (!complete || existsSync(libs)) return;
  mkdirSync(LOCAL_DIR, { recursive: true });
  symlinkSync(mainLibs, libs, 'dir');
}

/** Local GetSecretValue endpoint (AWS JSON 1.1 protocol) serving `secrets`. */
function secretsManagerStandIn(secrets: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const id = (JSON.parse(body || '{}') as { SecretId?: string }).SecretId ?? '';
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || !(id in secrets)) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: `no secret ${id}` }));
        return;
      }
      res.end(JSON.stringify({ ARN: id, Name: id.split(':').pop(), SecretString: secrets[id], VersionId: 'v1' }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The Kafka environment the stack gives a function for self-managed Kafka with mTLS. */
const mtlsEnvironment = (certificateSecret = CLIENT_CERT_SECRET) =>
  kafkaClientEnvironment({
    auth: 'tls',
    bootstrapServers: SSL_BROKERS,
    secretArn: certificateSecret,
    rootCaSecretArn: ROOT_CA_SECRET,
  });

const message = (i: number): OutboundMessage => {
  const value = JSON.stringify({ i });
  return {
    kind: 'output',
    key: `k${i}`,
    value,
    bytes: value.length + 2,
    source: { topic: 'in', partition: 0, offset: i },
  };
};

describe('mutual TLS on a broker that requires client certificates', { timeout: 240_000 }, () => {
  let secretsServer: Server;
  const savedEnv = { ...process.env };

  before(async () => {
    await execFileAsync('bash', ['scripts/kafka/stop.sh'], { cwd: REPO_ROOT, env: brokerEnv }).catch(() => undefined);
    shareBrokerJars();
    makeCertificates();
    await execFileAsync('bash', ['scripts/kafka/start.sh'], { cwd: REPO_ROOT, env: brokerEnv, timeout: 180_000 });
    secretsServer = await secretsManagerStandIn({
      // Client certificate first, then intermediates, then the root, as the event source mapping expects.
      [CLIENT_CERT_SECRET]: JSON.stringify({
        certificate: pem('client.pem') + pem('ca.pem'),
        privateKey: pem('client.key'),
      }),
      [ENCRYPTED_KEY_SECRET]: JSON.stringify({
        certificate: pem('client.pem'),
        privateKey: pem('client-encrypted.key'),
        privateKeyPassword: 'client-key-password',
      }),
      [ROOT_CA_SECRET]: JSON.stringify({ certificate: pem('ca.pem') }),
    });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secretsServer.address() as AddressInfo).port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  });

  after(async () => {
    secretsServer?.close();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    await execFileAsync('bash', ['scripts/kafka/stop.sh'], { cwd: REPO_ROOT, env: brokerEnv }).catch(() => undefined);
  });

  test('a TLS client without a certificate is refused (what the producer did before)', async () => {
    forgetCachedSecrets();
    const env = { ...mtlsEnvironment(), KAFKA_CONNECTION_TIMEOUT_MS: '2000', KAFKA_LOG_LEVEL: 'NOTHING' };
    delete (env as Record<string, string>).KAFKA_CLIENT_CERT_SECRET_ARN;
    const admin = (await createKafka(kafkaConnectionConfigFromEnv(env))).admin({
      retry: { retries: 1, maxRetryTime: 500 },
    });
    // The broker's TLS alert (bad certificate / certificate required) surfaces as the connection error.
    await assert.rejects(
      admin.connect().then(() => admin.listTopics()),
      /certificate/i,
    );
    await admin.disconnect().catch(() => undefined);
  });

  test("the function's producer presents the client certificate and writes", async () => {
    forgetCachedSecrets();
    const topic = uniqueTopicName('mtls-output');
    const errorTopic = uniqueTopicName('mtls-error');
    await createTopics(PLAINTEXT, [
      { topic, numPartitions: 1 },
      { topic: errorTopic, numPartitions: 1 },
    ]);
    const sink = kafkaSinkFromEnv({
      ...mtlsEnvironment(),
      OUTPUT_TOPIC: topic,
      ERROR_TOPIC: errorTopic,
      KAFKA_TOPIC_PREFIX: '',
    });
    try {
      const report = await sink.send([0, 1, 2].map((i) => message(i)));
      assert.deepEqual([...report.failed], []);
    } finally {
      await sink.disconnect();
    }
    const records = await consumeAll(PLAINTEXT, topic, { expected: 3 });
    assert.deepEqual(
      records.map((r) => r.value),
      ['{"i":0}', '{"i":1}', '{"i":2}'],
    );
  });

  test('a client key encrypted (PBES1) with privateKeyPassword works too', async () => {
    forgetCachedSecrets();
    const kafka = await createKafka(kafkaConnectionConfigFromEnv(mtlsEnvironment(ENCRYPTED_KEY_SECRET)));
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.ok(Array.isArray(await admin.listTopics()));
    } finally {
      await admin.disconnect();
    }
  });

  test('the topic provisioner creates a topic over mTLS with the same client configuration', async () => {
    forgetCachedSecrets();
    const topic = uniqueTopicName('mtls-provisioned');
    const saved = { ...process.env };
    Object.assign(process.env, mtlsEnvironment(), {
      KAFKA_CLIENT_ID: 'mw-page-content-change-enrich-topic-provisioner',
    });
    try {
      const response = await topicProvisioner({
        RequestType: 'Create',
        ResourceProperties: {
          TopicName: topic,
          NumPartitions: '2',
          ReplicationFactor: '1',
          Configs: {},
          RemovalPolicy: 'retain',
        },
      });
      assert.equal(response.Data?.Created, true);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    const admin = kafkaClient(PLAINTEXT).admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(meta.topics[0]?.partitions.length, 2);
    } finally {
      await admin.disconnect();
    }
  });

  test('create-topics (a local tool) reaches the mTLS listener with the same settings', async () => {
    const topic = uniqueTopicName('mtls-tool');
    const { stdout } = await execFileAsync('npx', ['tsx', 'scripts/kafka/create-topics.ts', `${topic}:1`], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...mtlsEnvironment(), KAFKA_BROKERS: SSL_BROKERS.join(','), KAFKA_TOPIC_PREFIX: '' },
    });
    assert.match(stdout, new RegExp(`created  ${topic} partitions=1`));
  });
});
