/**
 * One topic-prefix rule (lib/settings/topic-name.ts) for the stack and the functions: with a prefix that is also
 * the start of a topic name (`mediawiki.` + `mediawiki.page_change.v1`), the topics the stack maps, provisions and
 * grants are the topics the functions, reading the environment the stack gives them, consume and produce.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { mskTopicArn } from '../../infra/config/msk-arns.ts';
import { kafkaSinkConfigFromEnv } from '../../lib/pipeline/kafka-sink.ts';
import { redriveTopicsFrom } from '../../lib/redrive/request.ts';
import { DEFAULT_TOPICS, readSettings } from '../../lib/settings/catalogue.ts';
import {
  asArray,
  bySid,
  enrichFunction,
  eventSourceMapping,
  MSK_CLUSTER_ARN,
  roleStatements,
  synth,
} from './helpers.ts';

const PREFIX = 'mediawiki.';

describe(`a topic prefix that starts a topic name too (${PREFIX})`, () => {
  const s = synth(
    'example-msk-iam',
    { kafkaTopicPrefix: PREFIX, redriveFunction: true },
    { redriveFunctionCode: lambda.Code.fromInline('export const handler = async () => ({});') },
  );
  const resources = s.template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
  const environmentOf = (idPrefix: string): NodeJS.ProcessEnv => {
    const [fn] = Object.entries(resources).filter(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(idPrefix),
    );
    assert.ok(fn, `a function ${idPrefix}`);
    return fn[1].Properties.Environment.Variables;
  };
  // What the functions do with the environment the stack gives them.
  const sink = kafkaSinkConfigFromEnv(enrichFunction(s.template).resource.Properties.Environment.Variables);
  const redrive = redriveTopicsFrom(readSettings(environmentOf('RedriveFunction')));
  const topicArn = (topic: string) => mskTopicArn(MSK_CLUSTER_ARN, topic);

  test('every name is the prefix prepended, always', () => {
    assert.equal(redrive.input, `${PREFIX}${DEFAULT_TOPICS.input}`);
    assert.equal(redrive.input, 'mediawiki.mediawiki.page_change.v1');
    assert.equal(sink.outputTopic, `${PREFIX}${DEFAULT_TOPICS.output}`);
    assert.equal(sink.errorTopic, `${PREFIX}${DEFAULT_TOPICS.error}`);
    assert.equal(redrive.error, sink.errorTopic);
    assert.equal(redrive.onFailure, `${PREFIX}${DEFAULT_TOPICS.onFailure}`);
  });

  test('the mapping reads the topic the redrive writes back to, and sends failures where the redrive reads them', () => {
    const esm = eventSourceMapping(s.template);
    assert.deepEqual(esm.Topics, [redrive.input]);
    assert.deepEqual(esm.DestinationConfig.OnFailure.Destination, `kafka://${redrive.onFailure}`);
  });

  test('the stack provisions the topics the functions produce to and the redrive reads', () => {
    const provisioned = Object.values(resources)
      .filter((r) => r.Type === 'Custom::KafkaTopic')
      .map((r) => r.Properties.TopicName)
      .sort();
    assert.deepEqual(provisioned, [sink.outputTopic, sink.errorTopic, redrive.onFailure].sort());
  });

  test('IAM grants name the same topics', () => {
    const enrich = roleStatements(s.template, 'EnrichFunctionExecutionRole');
    assert.deepEqual(asArray(bySid(enrich, 'MskReadInputTopic').Resource), [topicArn(redrive.input)]);
    assert.deepEqual(asArray(bySid(enrich, 'MskWriteTopics').Resource).sort(), [
      topicArn(sink.outputTopic),
      topicArn(sink.errorTopic),
    ]);
    const redriveRole = roleStatements(s.template, 'RedriveFunctionExecutionRole');
    assert.deepEqual(asArray(bySid(redriveRole, 'MskWriteInputTopic').Resource), [topicArn(redrive.input)]);
    assert.deepEqual(asArray(bySid(redriveRole, 'MskReadRedriveSources').Resource).sort(), [
      topicArn(redrive.error),
      topicArn(redrive.onFailure),
    ]);
  });
});
