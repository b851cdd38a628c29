/**
 * The Amazon MSK with SASL/SCRAM example (example-msk-scram): the checks every configuration passes, and what MSK
 * asks of a SCRAM deployment ("Set up SASL/SCRAM authentication for an Amazon MSK cluster",
 * https://docs.aws.amazon.com/msk/latest/developerguide/msk-password-tutorial.html: an `AmazonMSK_` secret under a
 * customer managed key).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commonChecks } from './common-checks.ts';
import { asArray, eventSourceMapping, roleStatements, synth } from './helpers.ts';

describe('Amazon MSK with SASL/SCRAM (example-msk-scram)', () => {
  const make = () => synth('example-msk-scram');
  commonChecks('msk-scram', make);

  test('the mapping presents the AmazonMSK_ secret as SASL_SCRAM_512_AUTH; every role reading it may decrypt it', () => {
    const s = make();
    const esm = eventSourceMapping(s.template);
    assert.match(s.config.kafkaSecretArn!, /:secret:AmazonMSK_/);
    assert.deepEqual(esm.SourceAccessConfigurations, [{ Type: 'SASL_SCRAM_512_AUTH', URI: s.config.kafkaSecretArn }]);
    const readers = ['EnrichFunctionExecutionRole', 'RedriveFunctionExecutionRole', 'TopicsOnEventRole'];
    for (const role of readers) {
      const statements = roleStatements(s.template, role);
      const reads = statements.filter((st) => asArray(st.Action).includes('secretsmanager:GetSecretValue'));
      const decrypts = statements.filter((st) => asArray(st.Action).includes('kms:Decrypt'));
      assert.equal(reads.length, 1, role);
      assert.deepEqual(
        decrypts.map((st) => st.Resource),
        [s.config.kafkaSecretKmsKeyArn],
        role,
      );
    }
  });
});
