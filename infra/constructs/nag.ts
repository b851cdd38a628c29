/**
 * cdk-nag v3 acknowledgements (CDK's native `Validations.of(scope).acknowledge()`).
 *
 * cdk-nag v3 matches acknowledgements by exact rule id, per finding: a rule that reports several
 * findings (like `AwsSolutions-IAM5`) is acknowledged as `AwsSolutions-IAM5[Resource::*]`. An
 * acknowledgement on a construct covers every resource below it.
 */
import { Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { WILDCARD_STATEMENTS } from './kafka-permissions.ts';

/** One acknowledged cdk-nag finding, with the reason it is acceptable. */
export interface NagAcknowledgement {
  /** Rule id, with the finding for multi-finding rules, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** Why this finding is acceptable. Required and non-trivial. */
  readonly reason: string;
}

/** Acknowledges cdk-nag findings on `scope` and everything below it. */
export function acknowledge(scope: IConstruct, ...rules: NagAcknowledgement[]): void {
  for (const rule of rules) {
    if (rule.reason.trim().length < 20) throw new Error(`cdk-nag acknowledgement ${rule.id} needs a real reason`);
  }
  Validations.of(scope).acknowledge(...rules);
}

/**
 * Wildcard resources the project's statements carry on purpose, by statement id: which resources, and why.
 * `Resource: '*'` is allowed only for the ids of {@link WILDCARD_STATEMENTS} (the tests enforce it).
 */
const ACKNOWLEDGED_WILDCARDS: Record<string, { matches: (resource: string) => boolean; reason: string }> = {
  VpcNetworkInterfaces: {
    matches: (resource) => resource === '*',
    reason: `Statement VpcNetworkInterfaces only: ${WILDCARD_STATEMENTS.VpcNetworkInterfaces}`,
  },
  MskRedriveConsumerGroups: {
    matches: (resource) => resource.endsWith('.redrive.*'),
    reason: 'The redrive consumer groups only (one per source topic, or one an operator names under the same prefix).',
  },
  MskIngestPositionGroups: {
    matches: (resource) => resource.endsWith('.ingest.position.*'),
    reason:
      "The ingest's position-read groups only: one per run, named after its transactional id; they commit nothing.",
  },
};

/**
 * Adds `statements` to `role` and acknowledges, on the role, the wildcard resources documented for their ids
 * (the one place the project acknowledges IAM5 findings of its own statements).
 */
export function addRoleStatements(role: iam.Role, statements: readonly iam.PolicyStatement[]): void {
  for (const statement of statements) {
    role.addToPrincipalPolicy(statement);
    const allowance = statement.sid ? ACKNOWLEDGED_WILDCARDS[statement.sid] : undefined;
    for (const resource of statement.resources) {
      if (allowance?.matches(resource)) {
        acknowledge(role, { id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: allowance.reason });
      }
    }
  }
}
