import * as iam from 'aws-cdk-lib/aws-iam';
import { mskGroupArn, mskTopicArn } from '../config/msk-arns.ts';

/**
 * Statement ids of the only statements allowed to use `Resource: '*'`, with the reason.
 * Tests fail on any other wildcard resource.
 */
export const WILDCARD_STATEMENTS: Record<string, string> = {
  VpcNetworkInterfaces:
    "Lambda creates, describes and deletes the ENIs of a VPC function and of the Kafka event pollers on the role's behalf; " +
    'their ids are unknown before creation and the Describe* actions do not support resource-level permissions.',
};

/**
 * ENI actions a VPC function needs. AWS: "Giving Lambda functions access to resources in an Amazon VPC"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html), execution role permissions.
 */
export const VPC_FUNCTION_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/**
 * ENI actions the Kafka event pollers need in the cluster's VPC. AWS: "Configuring Lambda permissions for
 * Amazon MSK event source mappings" (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html)
 * and the self-managed Kafka equivalent, VPC permissions.
 */
export const KAFKA_POLLER_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
] as const;

/**
 * Statement allowing the ENI management Lambda does on the role's behalf: for a VPC function, for Kafka
 * event pollers in a VPC, or both (the union of AWS's two lists, nothing else).
 */
export function vpcNetworkInterfacesStatement(uses: {
  vpcFunction: boolean;
  kafkaPollers: boolean;
}): iam.PolicyStatement {
  const actions = new Set<string>([
    ...(uses.vpcFunction ? VPC_FUNCTION_ENI_ACTIONS : []),
    ...(uses.kafkaPollers ? KAFKA_POLLER_ENI_ACTIONS : []),
  ]);
  return new iam.PolicyStatement({ sid: 'VpcNetworkInterfaces', actions: [...actions], resources: ['*'] });
}

/**
 * Cluster actions of the event source mapping on an MSK cluster. AWS ("Configuring Lambda permissions for
 * Amazon MSK event source mappings"): `kafka:DescribeClusterV2` or `kafka:DescribeCluster`, only one is
 * needed and V2 also covers serverless clusters; `kafka:GetBootstrapBrokers`.
 */
export const MSK_CLUSTER_ACTIONS = ['kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'] as const;

/**
 * Optional cluster action of the event source mapping on an MSK cluster with SASL/SCRAM. AWS ("Configuring Lambda
 * permissions for Amazon MSK event source mappings", optional permissions): `kafka:ListScramSecrets`, to find the
 * SCRAM secret associated with the cluster.
 */
export const MSK_SCRAM_CLUSTER_ACTIONS = ['kafka:ListScramSecrets'] as const;

/**
 * Cluster actions of the Kafka on-failure destination's producer on an MSK cluster. The event source mapping writes
 * the destination topic itself, with the function's role; AWS's example policy for it ("Using a Kafka topic as an
 * on-failure destination", https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html,
 * requirements) names `kafka:DescribeCluster` and `kafka:GetBootstrapBrokers`. Nothing says `kafka:DescribeClusterV2`
 * stands in for the producer as it does for the poller, so both describe actions are granted with such a
 * destination. The example's `kafka:Produce` is no action of the `kafka` service (Service Authorization Reference,
 * "Actions, resources, and condition keys for Amazon Managed Streaming for Apache Kafka") and is left out.
 */
export const MSK_KAFKA_DESTINATION_CLUSTER_ACTIONS = ['kafka:DescribeCluster', 'kafka:GetBootstrapBrokers'] as const;

/** How a principal reaches the Kafka cluster. */
export interface KafkaClusterAccessProps {
  /** Region of the stack (for the `kms:ViaService` condition). */
  readonly region: string;
  /**
   * MSK cluster ARN; `kafka-cluster:*` (IAM access control) and `kafka:*` statements are scoped to it
   * and to the topic/group ARNs derived from it.
   * @default - self-managed cluster (no IAM data-plane statements)
   */
  readonly mskClusterArn?: string;
  /** Client authentication. */
  readonly auth: 'none' | 'tls' | 'scram' | 'iam';
  /**
   * Secrets the principal reads (SCRAM credentials, client certificate, root CA).
   * @default - none
   */
  readonly secretArns?: string[];
  /**
   * Customer managed KMS key encrypting the secrets.
   * @default - none
   */
  readonly secretKmsKeyArn?: string;
}

/**
 * Builds least-privilege IAM statements for one Kafka cluster: every `kafka-cluster` action is scoped to
 * the cluster, topic and group ARNs actually used (`arn:aws:kafka:<region>:<account>:topic/<cluster>/<uuid>/<topic>`).
 */
export class KafkaClusterAccess {
  constructor(private readonly props: KafkaClusterAccessProps) {}

  private get iamAuth(): boolean {
    return this.props.auth === 'iam' && this.props.mskClusterArn !== undefined;
  }

  private topicArns(topics: string[]): string[] {
    return [...new Set(topics)].map((t) => mskTopicArn(this.props.mskClusterArn!, t));
  }

  /**
   * Broker discovery (MSK: `kafka:GetBootstrapBrokers`, plus `extraActions`), the secrets for SCRAM/mTLS/root CA,
   * and `kafka-cluster:Connect` with IAM access control.
   */
  public clusterDiscovery(extraActions: readonly string[] = []): iam.PolicyStatement[] {
    const out: iam.PolicyStatement[] = [];
    if (this.props.mskClusterArn) {
      out.push(
        new iam.PolicyStatement({
          sid: 'MskClusterDiscovery',
          actions: [...new Set(['kafka:GetBootstrapBrokers', ...extraActions])],
          resources: [this.props.mskClusterArn],
        }),
      );
    }
    out.push(...this.secrets());
    if (this.iamAuth) {
      out.push(
        new iam.PolicyStatement({
          sid: 'MskConnect',
          actions: ['kafka-cluster:Connect'],
          resources: [this.props.mskClusterArn!],
        }),
      );
    }
    return out;
  }

  /** Read access to the Kafka secrets (and their CMK). */
  public secrets(): iam.PolicyStatement[] {
    const secretArns = this.props.secretArns ?? [];
    const out: iam.PolicyStatement[] = [];
    if (secretArns.length > 0) {
      out.push(
        new iam.PolicyStatement({
          sid: 'ReadKafkaSecrets',
          // AWS, "Configuring Lambda execution role permissions" (self-managed Apache Kafka) and the MSK
          // equivalent: secretsmanager:GetSecretValue (and kms:Decrypt for a customer managed key), nothing more.
          actions: ['secretsmanager:GetSecretValue'],
          resources: secretArns,
        }),
      );
      if (this.props.secretKmsKeyArn) {
        out.push(
          new iam.PolicyStatement({
            sid: 'DecryptKafkaSecrets',
            actions: ['kms:Decrypt'],
            resources: [this.props.secretKmsKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.props.region}.amazonaws.com` } },
          }),
        );
      }
    }
    return out;
  }

  /**
   * Consume `topic` as consumer group `group` (IAM access control only). AWS ("Configuring Lambda permissions for
   * Amazon MSK event source mappings", https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html,
   * optional permissions with IAM authentication): Connect (see `clusterDiscovery`), DescribeGroup, AlterGroup,
   * DescribeTopic, ReadData. `kafka-cluster:DescribeClusterDynamicConfiguration` (the `DescribeConfigs` cluster ACL,
   * "Semantics of IAM authorization policy actions and resources") is not on that list: "Troubleshooting Kafka
   * event source mapping errors" (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-troubleshoot.html) asks
   * for the `DescribeConfigs` ACL with SASL/SCRAM or mTLS only, where Kafka ACLs decide (infra/stack/kafka-acls.ts).
   */
  public consume(topic: string, group: string): iam.PolicyStatement[] {
    if (!this.iamAuth) return [];
    return [
      new iam.PolicyStatement({
        sid: 'MskReadInputTopic',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: this.topicArns([topic]),
      }),
      new iam.PolicyStatement({
        sid: 'MskConsumerGroup',
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [mskGroupArn(this.props.mskClusterArn!, group)],
      }),
    ];
  }

  /**
   * Produce to `topics` (IAM access control only). An idempotent producer (kafkajs `idempotent: true`,
   * as the handler's) also needs `kafka-cluster:WriteDataIdempotently` on the cluster.
   */
  public produce(topics: string[], options: { sid?: string; idempotent?: boolean } = {}): iam.PolicyStatement[] {
    if (!this.iamAuth || topics.length === 0) return [];
    const out = [
      new iam.PolicyStatement({
        sid: options.sid ?? 'MskWriteTopics',
        // The kafkajs producer reads topic metadata before it writes.
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        resources: this.topicArns(topics),
      }),
    ];
    if (options.idempotent) {
      out.push(
        new iam.PolicyStatement({
          sid: 'MskIdempotentProducer',
          actions: ['kafka-cluster:WriteDataIdempotently'],
          resources: [this.props.mskClusterArn!],
        }),
      );
    }
    return out;
  }

  /**
   * Write to the on-failure topic as the event source mapping does (IAM access control only; the cluster actions are
   * {@link MSK_KAFKA_DESTINATION_CLUSTER_ACTIONS}). AWS's example policy ("Using a Kafka topic as an on-failure
   * destination", https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html) grants Connect and
   * DescribeCluster on the cluster and DescribeTopic and WriteData on the topic; so does this, on this cluster and
   * this topic only (the destination must be in the source's cluster). Narrower than the example, and why that is
   * safe: no ReadData (producing needs Connect, DescribeTopic and WriteData: "Common use cases for client
   * authorization policy", https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control-use-cases.html),
   * and no topic actions on the cluster ARN, where they authorize nothing (their required resource is a topic:
   * "Semantics of IAM authorization policy actions and resources",
   * https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html).
   */
  public onFailureTopic(topic: string): iam.PolicyStatement[] {
    if (!this.iamAuth) return [];
    return [
      new iam.PolicyStatement({
        sid: 'MskOnFailureDescribeCluster',
        actions: ['kafka-cluster:DescribeCluster'],
        resources: [this.props.mskClusterArn!],
      }),
      new iam.PolicyStatement({
        sid: 'MskWriteOnFailureTopic',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        resources: this.topicArns([topic]),
      }),
    ];
  }

  /** Create / alter (and optionally delete) `topics` (IAM access control only). */
  public manageTopics(topics: string[], allowDelete: boolean): iam.PolicyStatement[] {
    if (!this.iamAuth || topics.length === 0) return [];
    return [
      new iam.PolicyStatement({
        sid: 'MskManageTopics',
        actions: [
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:CreateTopic',
          'kafka-cluster:AlterTopic',
          'kafka-cluster:DescribeTopicDynamicConfiguration',
          'kafka-cluster:AlterTopicDynamicConfiguration',
          ...(allowDelete ? ['kafka-cluster:DeleteTopic'] : []),
        ],
        resources: this.topicArns(topics),
      }),
    ];
  }
}
