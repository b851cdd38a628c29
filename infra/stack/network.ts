/** The network of the stack: the cluster's VPC, the functions' security group and the brokers' ingress rules. */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { ResolvedPipelineConfig } from '../config/config.ts';
import { acknowledge } from '../constructs/nag.ts';

/** Where the functions and the event pollers run. Empty (all `undefined`) for brokers reached over the internet. */
export interface ClusterNetwork {
  readonly vpc?: ec2.IVpc;
  /** The VPC's private subnets (`subnetIds`). */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security group of the functions (and of self-managed Kafka's event pollers). */
  readonly securityGroup?: ec2.SecurityGroup;
  /** The brokers' security group (`brokerSecurityGroupId`), which MSK's event pollers use. */
  readonly brokers?: ec2.ISecurityGroup;
}

/**
 * Imports the cluster's VPC and creates the functions' security group: egress to the brokers on their ports and
 * HTTPS, no ingress. The brokers' group admits the functions and, on MSK, itself. Resources are created in `scope`
 * (the stack), where they have always been, so their logical ids stay.
 */
export function clusterNetwork(scope: Construct, config: ResolvedPipelineConfig): ClusterNetwork {
  if (!config.vpcId) return {};
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'ClusterVpc', {
    vpcId: config.vpcId,
    availabilityZones: config.availabilityZones!,
    privateSubnetIds: config.subnetIds!,
  });
  acknowledge(vpc, {
    id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
    reason: 'Imported subnets are only used to place ENIs; the stack never reads or changes their route tables.',
  });
  const securityGroup = new ec2.SecurityGroup(scope, 'FunctionSecurityGroup', {
    vpc,
    description: 'Enrichment function and Kafka event pollers: brokers and HTTPS egress only',
    allowAllOutbound: false,
  });
  const brokers = config.brokerSecurityGroupId
    ? ec2.SecurityGroup.fromSecurityGroupId(scope, 'BrokerSecurityGroup', config.brokerSecurityGroupId, {
        allowAllOutbound: false,
      })
    : undefined;
  for (const port of config.kafkaBrokerPorts) {
    securityGroup.addEgressRule(
      brokers ?? ec2.Peer.anyIpv4(),
      ec2.Port.tcp(port),
      `Kafka brokers (${config.kafkaAuth})`,
    );
    brokers?.addIngressRule(
      securityGroup,
      ec2.Port.tcp(port),
      `mw-page-content-change-enrich Kafka clients (${config.kafkaAuth})`,
    );
    // AWS, "Creating a Lambda event source mapping for an Amazon MSK event source": the pollers' network
    // interfaces use the cluster's subnets and security groups, not the function's; the brokers' group
    // must therefore admit itself on the broker ports.
    if (brokers && config.kafkaClusterType === 'msk' && config.brokerSecurityGroupSelfIngress) {
      new ec2.CfnSecurityGroupIngress(scope, `BrokerSelfIngress${port}`, {
        groupId: brokers.securityGroupId,
        sourceSecurityGroupId: brokers.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: `Kafka event pollers of mw-page-content-change-enrich (${config.kafkaAuth}), cluster's group`,
      });
    }
  }
  // MediaWiki Action API and the schema repository on the internet (through the subnets' NAT), and AWS APIs (Secrets Manager,
  // MSK, STS for the event pollers).
  securityGroup.addEgressRule(
    ec2.Peer.anyIpv4(),
    ec2.Port.tcp(443),
    'HTTPS: MediaWiki Action API, schema repository (EVENT_SCHEMA_BASE_URIS), AWS APIs',
  );
  return { vpc, vpcSubnets: { subnets: vpc.privateSubnets }, securityGroup, brokers };
}
