/**
 * cdk-nag v3 acknowledgements (CDK's native `Validations.of(scope).acknowledge()`).
 *
 * cdk-nag v3 matches acknowledgements by exact rule id, per finding: a rule that reports several
 * findings (like `AwsSolutions-IAM5`) is acknowledged as `AwsSolutions-IAM5[Resource::*]`. An
 * acknowledgement on a construct covers every resource below it.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

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
