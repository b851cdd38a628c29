/** Environment configuration: loading, `-c key=value` overrides, defaults and validation. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, DEFAULTS, resolveConfig, type PipelineConfig } from '../../infra/config/config.ts';
import { mskGroupArn, mskTopicArn, parseMskClusterArn } from '../../infra/config/msk-arns.ts';
import {
  applyContextOverrides,
  CONFIG_KEY_KINDS,
  configFromContext,
  listEnvironments,
  loadEnvironmentFile,
} from '../../infra/config/environment-files.ts';
import { functionEnvironment } from '../../infra/stack/pipeline-stack.ts';
import { MSK_CLUSTER_ARN, synth } from './helpers.ts';

const context = (values: Record<string, unknown>) => (key: string) => values[key];
const base = (): Partial<PipelineConfig> => loadEnvironmentFile('example-msk-iam');

describe('environment files', () => {
  test('the example environments exist and resolve', () => {
    assert.deepEqual(
      listEnvironments().filter((e) => e.startsWith('example-')),
      ['example-msk-iam', 'example-msk-scram', 'example-self-managed-scram'],
    );
    for (const env of listEnvironments()) {
      const config = configFromContext(context({ env }));
      assert.equal(config.envName, env);
      assert.equal(config.stackName, `MwPageContentChangeEnrich-${env}`);
    }
  });

  test('-c env is required and must name an existing file', () => {
    assert.throws(
      () => configFromContext(context({})),
      /select an environment with -c env=<name>; available: .*example-msk-iam/,
    );
    assert.throws(() => configFromContext(context({ env: 'nope' })), /unknown environment 'nope'/);
    assert.throws(() => configFromContext(context({ env: '../etc/passwd' })), /invalid environment name/);
  });

  test('every configuration key has an override kind (compile-time exhaustive) and defaults are known keys', () => {
    for (const key of Object.keys(DEFAULTS)) assert.ok(key in CONFIG_KEY_KINDS, key);
  });
});

describe('context overrides', () => {
  test('CLI strings are coerced to the key type', () => {
    const out = applyContextOverrides(
      {},
      context({
        batchSize: '500',
        bisectBatchOnError: 'false',
        subnetIds: 'subnet-1, subnet-2',
        kafkaBrokerPorts: '[9096,9094]',
        tags: '{"team":"x"}',
        kafkaTopicPrefix: 'codfw.',
        someFeatureFlag: 'ignored',
      }),
    );
    assert.deepEqual(out, {
      batchSize: 500,
      bisectBatchOnError: false,
      subnetIds: ['subnet-1', 'subnet-2'],
      kafkaBrokerPorts: [9096, 9094],
      tags: { team: 'x' },
      kafkaTopicPrefix: 'codfw.',
    });
  });

  test('invalid CLI values are rejected with the key name', () => {
    assert.throws(() => applyContextOverrides({}, context({ batchSize: 'many' })), /-c batchSize=many: not a number/);
    assert.throws(() => applyContextOverrides({}, context({ dashboard: 'yes' })), /expected true or false/);
  });

  test('an override wins over the environment file', () => {
    const config = configFromContext(context({ env: 'example-msk-iam', batchSize: '500', memorySize: 2048 }));
    assert.equal(config.batchSize, 500);
    assert.equal(config.memorySize, 2048);
  });
});

describe('defaults', () => {
  test('documented defaults are applied', () => {
    const config = resolveConfig('t', {
      account: '111122223333',
      region: 'us-east-1',
      kafkaClusterType: 'msk',
      mskClusterArn: MSK_CLUSTER_ARN,
      brokerSecurityGroupId: 'sg-1',
      vpcId: 'vpc-1',
      subnetIds: ['subnet-1'],
      availabilityZones: ['us-east-1a'],
      mwApiUserAgent: 'tool/1.0 (ops@example.org)',
    });
    assert.equal(config.kafkaAuth, 'iam');
    assert.deepEqual(config.kafkaBrokerPorts, [9098]);
    assert.equal(config.inputTopic, 'mediawiki.page_change.v1');
    assert.equal(config.outputTopic, 'mediawiki.page_content_change.v1');
    assert.equal(config.errorTopic, 'mw_page_content_change_enrich.error');
    assert.equal(config.kafkaTopicPrefix, '');
    assert.equal(config.consumerGroupId, 'mw-page-content-change-enrich');
    assert.equal(config.startingPosition, 'TRIM_HORIZON');
    assert.equal(config.batchSize, 100);
    assert.equal(config.retryAttempts, 3);
    assert.equal(config.bisectBatchOnError, true);
    assert.equal(config.onFailureDestination, 'kafka');
    assert.equal(config.provisionedPollers, true);
    assert.equal(config.settings.MW_API_URL_TEMPLATE, 'https://{domain}/w/api.php', "the runtime's default");
    assert.equal(config.emitterId, 'mw-page-content-change-enrich.t');
    assert.equal(config.topicMaxMessageBytes, config.settings.KAFKA_MAX_MESSAGE_BYTES);
    assert.equal(config.topicRemovalPolicy, 'retain');
    assert.equal(config.provisionTopics, false);
  });

  test('self-managed defaults to SCRAM and broker ports from the bootstrap servers', () => {
    const config = configFromContext(context({ env: 'example-self-managed-scram' }));
    assert.equal(config.kafkaAuth, 'scram');
    assert.deepEqual(config.kafkaBrokerPorts, [9096]);
  });
});

describe('validation', () => {
  const invalid = (overrides: Partial<PipelineConfig> & Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => resolveConfig('t', { ...base(), ...overrides } as Partial<PipelineConfig>),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );

  test('the MediaWiki User-Agent is required and must carry contact information', () => {
    invalid({ mwApiUserAgent: undefined as never }, /mwApiUserAgent is required/);
    invalid({ mwApiUserAgent: 'my-tool/1.0' }, /contact information/);
    assert.doesNotThrow(() =>
      resolveConfig('t', { ...base(), mwApiUserAgent: 'my-tool/1.0 (https://example.org/bot)' }),
    );
  });

  test('cluster coordinates match the cluster type and auth', () => {
    invalid({ mskClusterArn: undefined }, /mskClusterArn is required/);
    invalid({ mskClusterArn: 'arn:aws:kafka:us-east-1:111122223333:cluster/x' }, /not an MSK cluster ARN/);
    invalid({ mskClusterArn: MSK_CLUSTER_ARN.replace('us-east-1', 'eu-west-1') }, /stack's account and region/);
    invalid({ kafkaAuth: 'tls' }, /not supported with MSK/);
    invalid({ kafkaAuth: 'scram' }, /kafkaSecretArn is required/);
    invalid(
      { kafkaAuth: 'scram', kafkaSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:other-AbCdEf' },
      /AmazonMSK_/,
    );
    // "Set up SASL/SCRAM authentication for an Amazon MSK cluster": not with the default AWS managed key.
    invalid(
      { kafkaAuth: 'scram', kafkaSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:AmazonMSK_x-AbCdEf' },
      /kafkaSecretKmsKeyArn is required with MSK SASL\/SCRAM.*msk-password-tutorial\.html/,
    );
    invalid({ kafkaClusterType: 'self-managed', mskClusterArn: undefined }, /kafkaBootstrapServers is required/);
    invalid(
      {
        kafkaClusterType: 'self-managed',
        mskClusterArn: undefined,
        kafkaAuth: undefined,
        kafkaBootstrapServers: ['broker'],
      },
      /host:port/,
    );
    invalid(
      {
        kafkaClusterType: 'self-managed',
        mskClusterArn: undefined,
        kafkaBootstrapServers: ['b:9092'],
        kafkaAuth: 'iam',
      },
      /requires kafkaClusterType 'msk'/,
    );
    invalid(
      { vpcId: undefined, subnetIds: undefined, brokerSecurityGroupId: undefined, provisionTopics: false },
      /vpcId is required/,
    );
  });

  test('secrets must be complete ARNs', () => {
    invalid(
      {
        kafkaAuth: 'scram',
        kafkaSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:AmazonMSK_x',
        kafkaSecretKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
      /complete Secrets Manager secret ARN/,
    );
  });

  test('event source mapping settings the stack checks itself', () => {
    invalid({ batchSize: 0 }, /batchSize/);
    invalid({ batchSize: 10_001 }, /batchSize/);
    invalid({ kafkaTopicPrefix: 'bad prefix ' }, /not a valid Kafka topic name/);
    invalid({ onFailureDestination: 'sns' as never }, /onFailureDestination/);
    invalid({ onFailureQueueArn: 'arn:aws:sqs:us-east-1:111122223333:q' }, /onFailureQueueArn requires/);
  });

  test("ranges aws-cdk-lib's EventSourceMapping already checks are reported by it, with the value", () => {
    const rejected = (overrides: Record<string, string>, message: RegExp) =>
      assert.throws(
        () => synth('example-msk-iam', overrides),
        (e: unknown) => e instanceof Error && message.test(e.message),
      );
    rejected({ maxBatchingWindowSeconds: '301' }, /maxBatchingWindow cannot be over 300 seconds, got 301/);
    rejected(
      { retryAttempts: '-2' },
      /retryAttempts must be -1 \(for infinite\) or between 0 and 10000 inclusive, got -2/,
    );
    rejected({ maxRecordAgeSeconds: '30' }, /maxRecordAge must be between 60 seconds and 7 days/);
    rejected({ minPollers: '5', maxPollers: '2' }, /Minimum provisioned pollers must be less than or equal to maximum/);
    rejected({ maxPollers: '2001' }, /Maximum provisioned pollers must be between 1 and 2000/);
    rejected(
      { startingPosition: 'AT_TIMESTAMP' },
      /startingPositionTimestamp must be provided when startingPosition is AT_TIMESTAMP/,
    );
    rejected({ consumerGroupId: 'bad group' }, /kafkaConsumerGroupId contains invalid characters/);
  });

  test('function and API settings', () => {
    invalid({ mwApiUrlTemplate: 'http://{domain}/w/api.php' }, /https/);
    invalid({ mwApiTimeoutMs: 200_000, timeoutSeconds: 120 }, /shorter than the function timeout/);
    invalid({ logRetentionDays: 31 }, /logRetentionDays/);
    invalid(
      { kafkaCompression: 'brotli' as never },
      /kafkaCompression \(KAFKA_COMPRESSION\) must be one of gzip, snappy, lz4, zstd, none \(got "brotli"\)/,
    );
    // Every invalid function setting in one message, named by key and variable.
    invalid(
      { mwApiBatchSize: 501, kafkaGzipLevel: 0 } as never,
      /mwApiBatchSize \(MW_API_BATCH_SIZE\)[\s\S]*kafkaGzipLevel \(KAFKA_GZIP_LEVEL\)/,
    );
    invalid({ subnetIds: ['subnet-1'], availabilityZones: ['us-east-1a', 'us-east-1b'] }, /same length/);
    invalid({ alarmEmail: 'x@example.org', createAlarmTopic: false }, /alarmEmail requires createAlarmTopic/);
  });

  test('a service mesh proxy: one fixed URL, the wiki chosen by Host; retries bounded by a time budget', () => {
    const mesh = { mwApiUrlTemplate: 'http://localhost:6500/w/api.php', mwApiHostHeader: 'domain' } as const;
    const env = functionEnvironment(resolveConfig('t', { ...base(), ...mesh, mwApiRetryBudgetMs: 20_000 }));
    assert.equal(env.MW_API_URL_TEMPLATE, 'http://localhost:6500/w/api.php');
    assert.equal(env.MW_API_HOST_HEADER, 'domain');
    assert.equal(env.MW_API_RETRY_BUDGET_MS, '20000');
    const plain = functionEnvironment(resolveConfig('t', base()));
    assert.ok(!('MW_API_MAX_RETRIES' in plain), 'no retry count cap unless configured');
    assert.ok(!('MW_API_HOST_HEADER' in plain));
    invalid({ mwApiUrlTemplate: 'http://localhost:6500/w/api.php' }, /https/);
    invalid({ mwApiUrlTemplate: 'http://{domain}:6500/w/api.php', mwApiHostHeader: 'domain' }, /fixed/);
    invalid({ mwApiHostHeader: 'url' as never }, /mwApiHostHeader/);
    invalid({ mwApiRetryBudgetMs: -1 } as never, /mwApiRetryBudgetMs/);
  });
});

describe('MSK ARNs', () => {
  test('topic and group ARNs are derived from the cluster ARN', () => {
    assert.deepEqual(parseMskClusterArn(MSK_CLUSTER_ARN), {
      partition: 'aws',
      region: 'us-east-1',
      account: '111122223333',
      clusterName: 'wiki-events',
      clusterUuid: 'abcd1234-abcd-cafe-abab-9876543210ab-4',
    });
    assert.equal(
      mskTopicArn(MSK_CLUSTER_ARN, 'eqiad.t'),
      'arn:aws:kafka:us-east-1:111122223333:topic/wiki-events/abcd1234-abcd-cafe-abab-9876543210ab-4/eqiad.t',
    );
    assert.equal(
      mskGroupArn(MSK_CLUSTER_ARN, 'g'),
      'arn:aws:kafka:us-east-1:111122223333:group/wiki-events/abcd1234-abcd-cafe-abab-9876543210ab-4/g',
    );
  });
});
