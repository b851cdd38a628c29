/**
 * A replaced event source mapping and the one it replaces, side by side: the old template and the new one are
 * synthesized and their mappings compared as Lambda keys them. CloudFormation creates the replacement before it
 * deletes the old mapping, so for a moment both exist, and Lambda refuses a second Kafka mapping with the same event
 * source, function and topics (409 "An event source mapping with event source arn …, function … and topics …
 * already exists", aws/aws-sam-cli#2308, where the function is the qualified ARN; the same for a StartingPosition
 * replacement in aws/serverless-application-model#1320). Each generation invokes the function through its own alias.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { MSK_CLUSTER_ARN, synth } from './helpers.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

/** The one mapping of a template, with the alias it invokes and what Lambda keys it by. */
function mappingOf(template: Template) {
  const resources = template.toJSON().Resources as Resources;
  const mappings = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping');
  assert.equal(mappings.length, 1, 'one mapping per template');
  const [logicalId, { Properties: p }] = mappings[0]!;
  // FunctionName is `<function>:<alias>`, joined from the alias ARN's function name and the alias name.
  const aliasLogicalId: string = JSON.stringify(p.FunctionName).match(/"Ref":"([A-Za-z0-9]+)"/)![1]!;
  const alias = resources[aliasLogicalId]!;
  assert.equal(alias.Type, 'AWS::Lambda::Alias');
  assert.equal(alias.Properties.FunctionVersion, '$LATEST');
  assert.equal(p.FunctionName['Fn::Join'][1][1], `:${alias.Properties.Name}`);
  const qualifiedFunction = `${alias.Properties.FunctionName.Ref}:${alias.Properties.Name}`;
  const eventSource = p.EventSourceArn ?? JSON.stringify(p.SelfManagedEventSource);
  const group = (p.AmazonManagedKafkaEventSourceConfig ?? p.SelfManagedKafkaEventSourceConfig).ConsumerGroupId;
  return {
    logicalId,
    aliasLogicalId,
    group,
    eventSource,
    topics: [...p.Topics].sort().join(','),
    /** Lambda's key: event source, function (qualified) and topics. */
    key: JSON.stringify([eventSource, qualifiedFunction, [...p.Topics].sort()]),
  };
}

const EXAMPLES = ['example-msk-iam', 'example-self-managed-scram'] as const;

describe('A replaced mapping can coexist with the one it replaces: Lambda keys them apart', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['only the consumer group', { consumerGroupId: 'mw-page-content-change-enrich-next' }],
    ['only the starting position (TRIM_HORIZON to LATEST)', { startingPosition: 'LATEST' }],
    [
      'only the starting position (to AT_TIMESTAMP)',
      { startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: '1767225600' },
    ],
  ];
  for (const env of EXAMPLES) {
    for (const [what, change] of cases) {
      test(`${env}, ${what}: same cluster and topics, yet another function alias, so (event source, function, topics) differ`, () => {
        const before = mappingOf(synth(env).template);
        const after = mappingOf(synth(env, change).template);
        assert.notEqual(
          after.logicalId,
          before.logicalId,
          'a replacement: CloudFormation creates it, then deletes the old',
        );
        // What made the replacement collide before each generation had an alias: the same cluster and topics.
        assert.equal(after.eventSource, before.eventSource);
        assert.equal(after.topics, before.topics);
        // The moment CloudFormation holds both: two keys, not one.
        assert.equal(new Set([before.key, after.key]).size, 2, `${before.key} vs ${after.key}`);
        assert.notEqual(after.aliasLogicalId, before.aliasLogicalId, 'a new alias, created before the new mapping');
        // "Customizable consumer group ID in Lambda": a group id is unique among Kafka event sources.
        assert.notEqual(after.group, before.group);
      });
    }
  }

  test('a change of topic or cluster differs in the key anyway, and still gets its own alias', () => {
    const before = mappingOf(synth('example-msk-iam').template);
    for (const change of [
      { inputTopic: 'other.page_change' },
      { mskClusterArn: MSK_CLUSTER_ARN.replace('wiki-events', 'wiki-events-2') },
    ]) {
      const after = mappingOf(synth('example-msk-iam', change).template);
      assert.notEqual(after.key, before.key, JSON.stringify(change));
      assert.notEqual(after.aliasLogicalId, before.aliasLogicalId, JSON.stringify(change));
    }
  });

  test('the alias leaves the generation as it was: a stack deployed before the alias keeps its mapping and group', () => {
    // example-msk-iam's generation under GENERATION_SCHEME 2, before each generation had an alias; the upgrade then
    // updates FunctionName in place (a mutable property of AWS::Lambda::EventSourceMapping).
    const now = mappingOf(synth('example-msk-iam').template);
    assert.equal(now.logicalId, 'PageChangeSourceMapping0b456054B14F15F8');
    assert.equal(now.group, 'mw-page-content-change-enrich-eqiad.0b456054');
  });

  test('an in-place change (batch size, pollers, retries) keeps the mapping and its alias: no second mapping at all', () => {
    const before = mappingOf(synth('example-msk-iam').template);
    for (const change of [{ batchSize: '500' }, { maxPollers: '9' }, { retryAttempts: '7' }]) {
      const after = mappingOf(synth('example-msk-iam', change).template);
      assert.deepEqual(
        [after.logicalId, after.aliasLogicalId, after.key],
        [before.logicalId, before.aliasLogicalId, before.key],
      );
    }
  });
});
