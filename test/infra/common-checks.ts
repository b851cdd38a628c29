/** Checks every synthesized configuration of the pipeline stack passes (used by the pipeline-stack tests). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WILDCARD_STATEMENTS } from '../../infra/constructs/kafka-permissions.ts';
import { functionEnvironment } from '../../infra/stack/pipeline-stack.ts';
import { readSettings, SETTINGS, tunableSettingNames } from '../../lib/settings/catalogue.ts';
import {
  actionsOf,
  asArray,
  bySid,
  enrichFunction,
  identityStatements,
  nagAnnotations,
  nagFindings,
  roleStatements,
  type synth,
  topicArn,
} from './helpers.ts';

export { actionsOf, topicArn };

/** Checks shared by every configuration. */
export function commonChecks(name: string, make: () => ReturnType<typeof synth>) {
  test(`${name}: the function is Node.js 22 on arm64 with the configured memory/timeout, JSON logs in its own log group`, () => {
    const s = make();
    const { resource } = enrichFunction(s.template);
    assert.equal(resource.Properties.Runtime, 'nodejs24.x');
    assert.deepEqual(resource.Properties.Architectures, ['arm64']);
    assert.equal(resource.Properties.MemorySize, s.config.memorySize);
    assert.equal(resource.Properties.Timeout, s.config.timeoutSeconds);
    assert.equal(resource.Properties.LoggingConfig.LogFormat, 'JSON');
    assert.ok(resource.Properties.LoggingConfig.LogGroup, 'dedicated log group');
    // No --enable-source-maps: cold start CPU and the cost of every error event's stack (see FUNCTION_NODE_OPTIONS).
    assert.equal(resource.Properties.Environment.Variables.NODE_OPTIONS, undefined);
    // The function waits for its policy (ENI and Kafka permissions are checked when it and its ESM are created).
    assert.ok(
      asArray(resource.DependsOn).some((d: string) => d.startsWith('EnrichFunctionExecutionRoleDefaultPolicy')),
    );
  });

  test(`${name}: the function environment is the catalogue's, and the runtime reads back the configured settings`, () => {
    const s = make();
    const vars: Record<string, string> = enrichFunction(s.template).resource.Properties.Environment.Variables;
    const expected = functionEnvironment(s.config);
    for (const [key, value] of Object.entries(expected)) assert.equal(vars[key], value, key);
    // Every variable the stack sets is a catalogued setting (NODE_OPTIONS is the runtime's own).
    const unknown = Object.keys(vars).filter((k) => !(k in SETTINGS) && k !== 'NODE_OPTIONS');
    assert.deepEqual(unknown, []);
    // What the runtime reads from this environment is what infra resolved, setting by setting.
    const read = readSettings(vars);
    for (const name of tunableSettingNames()) assert.deepEqual(read[name], s.config.settings[name], name);
    assert.equal(vars.MW_API_USER_AGENT, s.config.mwApiUserAgent);
    assert.equal(vars.EMITTER_ID, `mw-page-content-change-enrich.${s.config.envName}`);
    assert.equal(vars.POWERTOOLS_METRICS_NAMESPACE, 'MwPageContentChangeEnrich');
    assert.equal(vars.OUTPUT_TOPIC, 'mediawiki.page_content_change.v1');
    assert.equal(vars.ERROR_TOPIC, 'mw_page_content_change_enrich.error');
  });

  test(`${name}: execution role has no managed policies and only allow-listed wildcard statements`, () => {
    const s = make();
    const roles = s.template.findResources('AWS::IAM::Role');
    for (const [id, role] of Object.entries(roles)) {
      if (id.startsWith('TopicsProviderframework')) continue; // CDK Provider framework role (acknowledged in cdk-nag)
      assert.equal(role.Properties.ManagedPolicyArns, undefined, `${id} must not attach managed policies`);
    }
    for (const { owner, statement } of identityStatements(s.template)) {
      const wildcard = asArray(statement.Resource).some((r) => r === '*');
      if (wildcard) {
        assert.ok(
          statement.Sid && WILDCARD_STATEMENTS[statement.Sid],
          `${owner}: Resource '*' without a documented reason: ${JSON.stringify(statement)}`,
        );
      }
      assert.ok(
        !actionsOf(statement).some((a) => a === '*' || a.endsWith(':*')),
        `${owner}: wildcard action ${JSON.stringify(statement.Action)}`,
      );
    }
  });

  test(`${name}: log permissions are scoped to the function's log group`, () => {
    const s = make();
    const logs = bySid(roleStatements(s.template, 'EnrichFunctionExecutionRole'), 'WriteOwnLogs');
    assert.deepEqual(actionsOf(logs), ['logs:CreateLogStream', 'logs:PutLogEvents']);
    const ref = logs.Resource as { 'Fn::GetAtt': [string, string] };
    assert.match(ref['Fn::GetAtt'][0], /^EnrichFunctionLogGroup/);
    assert.equal(ref['Fn::GetAtt'][1], 'Arn');
    const group = s.template.toJSON().Resources[ref['Fn::GetAtt'][0]];
    assert.equal(group.Properties.RetentionInDays, s.config.logRetentionDays);
  });

  test(`${name}: security group allows only broker ports and HTTPS egress, no ingress`, () => {
    const s = make();
    const groups = Object.values(s.template.findResources('AWS::EC2::SecurityGroup'));
    assert.equal(groups.length, 1);
    const sg = groups[0]!.Properties;
    assert.equal(sg.SecurityGroupIngress, undefined, 'no ingress');
    const egress = [
      ...(sg.SecurityGroupEgress ?? []),
      ...Object.values(s.template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties),
    ];
    const ports = egress.map((e: any) => `${e.IpProtocol}/${e.FromPort}-${e.ToPort}`).sort();
    const expected = [...s.config.kafkaBrokerPorts.map((p) => `tcp/${p}-${p}`), 'tcp/443-443'].sort();
    assert.deepEqual(ports, expected);
    assert.ok(!egress.some((e: any) => e.IpProtocol === '-1'), 'no all-traffic egress');
  });

  test(`${name}: alarms on errors, throttles, offset lag and error-event rate; dashboard`, () => {
    const s = make();
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    assert.equal(alarms.length, 4);
    const byMetric = (name: string) => alarms.find((a) => a.MetricName === name);
    assert.equal(byMetric('Errors')?.Namespace, 'AWS/Lambda');
    assert.equal(byMetric('Throttles')?.Namespace, 'AWS/Lambda');
    const lag = alarms.find((a) => JSON.stringify(a.Metrics ?? []).includes('OffsetLag'))!;
    assert.ok(lag, 'offset lag alarm');
    const lagJson = JSON.stringify(lag.Metrics);
    assert.match(lagJson, /"EventSourceMappingUUID"/);
    assert.match(lagJson, /"FunctionName"/);
    assert.equal(lag.Threshold, s.config.offsetLagThreshold);
    const rate = alarms.find((a) => JSON.stringify(a.Metrics ?? []).includes('ErrorEvents'))!;
    const rateJson = JSON.stringify(rate.Metrics);
    assert.match(rateJson, /"Namespace":"MwPageContentChangeEnrich"/);
    assert.match(rateJson, /"MetricName":"EnrichedEvents"/);
    assert.match(rateJson, /"Name":"service","Value":"mw-page-content-change-enrich"/);
    assert.equal(rate.Threshold, s.config.errorEventRatePercentThreshold);
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test(`${name}: cdk-nag AwsSolutions has no unacknowledged finding`, () => {
    const s = make();
    assert.deepEqual(nagFindings(s), []);
    assert.deepEqual(nagAnnotations(s), []);
  });
}
