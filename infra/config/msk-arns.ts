/** ARNs of an MSK cluster and of the topics and groups in it (resources of `kafka-cluster:*` actions). */
export interface MskClusterArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly clusterName: string;
  readonly clusterUuid: string;
}

const MSK_CLUSTER_ARN = /^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9-]+)\/([A-Za-z0-9-]+)$/;

/** Parts of `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`; throws for anything else. */
export function parseMskClusterArn(arn: string): MskClusterArnParts {
  const m = MSK_CLUSTER_ARN.exec(arn);
  if (!m) {
    throw new Error(
      `mskClusterArn '${arn}' is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)`,
    );
  }
  return { partition: m[1]!, region: m[2]!, account: m[3]!, clusterName: m[4]!, clusterUuid: m[5]! };
}

/** Resource of `kafka-cluster:*Topic*` / `*Data` actions. */
export function mskTopicArn(clusterArn: string, topic: string): string {
  const p = parseMskClusterArn(clusterArn);
  return `arn:${p.partition}:kafka:${p.region}:${p.account}:topic/${p.clusterName}/${p.clusterUuid}/${topic}`;
}

/** Resource of `kafka-cluster:*Group` actions. */
export function mskGroupArn(clusterArn: string, group: string): string {
  const p = parseMskClusterArn(clusterArn);
  return `arn:${p.partition}:kafka:${p.region}:${p.account}:group/${p.clusterName}/${p.clusterUuid}/${group}`;
}

/**
 * Resource of `kafka-cluster:*TransactionalId` actions ("Semantics of IAM authorization policy actions and resources",
 * https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html).
 */
export function mskTransactionalIdArn(clusterArn: string, transactionalId: string): string {
  const p = parseMskClusterArn(clusterArn);
  return `arn:${p.partition}:kafka:${p.region}:${p.account}:transactional-id/${p.clusterName}/${p.clusterUuid}/${transactionalId}`;
}
