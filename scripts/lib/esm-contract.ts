/**
 * The local event source mapping's contract as pure functions: how Lambda reads a handler's result for one
 * partition's batch, and what it then commits, retries and gives up on. The AWS pages they follow are listed at the
 * top of scripts/lib/local-esm.ts, which drives them with a real Kafka consumer.
 */

/** How Lambda reads one invocation's result for one partition's batch. */
export type InvocationVerdict =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly failedOffsets: readonly number[] }
  | { readonly kind: 'batch-failure'; readonly reason: string };

/**
 * Reads a handler's result the way Lambda does for a batch of one partition (`batchOffsets`):
 * no response, a null or empty `batchItemFailures` → success; every identifier names a record
 * of the batch → exactly those fail; anything else (an identifier that is null, malformed, of
 * another partition or not in the batch; a list that is not a list) → the whole batch failed.
 */
export function verdictFor(
  result: { readonly response: unknown } | { readonly error: unknown },
  partitionKey: string,
  batchOffsets: readonly number[],
): InvocationVerdict {
  if ('error' in result) return { kind: 'batch-failure', reason: `function error: ${errorText(result.error)}` };
  const response = result.response as { batchItemFailures?: unknown } | null | undefined;
  if (response === null || response === undefined || typeof response !== 'object') return { kind: 'success' };
  const failures = response.batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'batch-failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const inBatch = new Set(batchOffsets);
  const failed = new Set<number>();
  for (const f of failures as Array<{ itemIdentifier?: { partition?: unknown; offset?: unknown } } | null>) {
    const id = f?.itemIdentifier;
    const offset = typeof id?.offset === 'string' && id.offset.trim() !== '' ? Number(id.offset) : id?.offset;
    if (!id || id.partition !== partitionKey || typeof offset !== 'number' || !inBatch.has(offset)) {
      return {
        kind: 'batch-failure',
        reason: `batchItemFailures names a record not in the batch: ${JSON.stringify(f)}`,
      };
    }
    failed.add(offset);
  }
  return { kind: 'partial', failedOffsets: [...failed].sort((a, b) => a - b) };
}

export interface TrackedRecord<M = unknown> {
  readonly offset: number;
  /** Invocations this record has been part of. */
  readonly invocations: number;
  readonly message: M;
}

export interface RetryPlan<M = unknown> {
  /** Records written or otherwise done with, in offset order. */
  readonly succeeded: ReadonlyArray<TrackedRecord<M>>;
  /** Records to invoke again, in offset order (per-page order is kept). */
  readonly retry: ReadonlyArray<TrackedRecord<M>>;
  /** Records whose retries are exhausted: to the on-failure destination (or discarded). */
  readonly exhausted: ReadonlyArray<TrackedRecord<M>>;
  /** Offset to commit for the partition: the first record still owed, else one past the batch. */
  readonly commitOffset: number;
}

/** The effective retry limit: -1 (infinite) becomes 10 with an on-failure destination, as AWS documents. */
export function effectiveMaxRetries(maxRetryAttempts: number, hasOnFailureDestination: boolean): number {
  if (maxRetryAttempts < 0) return hasOnFailureDestination ? 10 : Number.POSITIVE_INFINITY;
  return maxRetryAttempts;
}

/**
 * What to commit, retry and give up on after one invocation of `batch` (one partition, offset
 * order). Every record of the batch counts one more invocation; a record is exhausted once it
 * has been invoked `1 + maxRetries` times and still failed. `pageEndOffset` is one past the last
 * record polled with the batch's first invocation: a retry holds only the failed records, and the
 * ones settled before it must not be delivered again. @default one past the batch's last record
 */
export function planAfterInvocation<M>(
  batch: ReadonlyArray<TrackedRecord<M>>,
  verdict: InvocationVerdict,
  maxRetries: number,
  pageEndOffset?: number,
): RetryPlan<M> {
  const counted = [...batch].sort((a, b) => a.offset - b.offset).map((r) => ({ ...r, invocations: r.invocations + 1 }));
  const failedSet =
    verdict.kind === 'success'
      ? new Set<number>()
      : verdict.kind === 'batch-failure'
        ? new Set(counted.map((r) => r.offset))
        : new Set(verdict.failedOffsets);
  const succeeded = counted.filter((r) => !failedSet.has(r.offset));
  const failed = counted.filter((r) => failedSet.has(r.offset));
  const exhausted = failed.filter((r) => r.invocations > maxRetries);
  const retry = failed.filter((r) => r.invocations <= maxRetries);
  const end = pageEndOffset ?? (counted.length > 0 ? counted.at(-1)!.offset + 1 : 0);
  const commitOffset = retry.length > 0 ? retry[0]!.offset : end;
  return { succeeded, retry, exhausted, commitOffset };
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * The records still owed by one polled page after an invocation of its first chunk, as chunks to invoke in order.
 * "Split batch on error" ("Configuring error handling controls for Kafka event sources",
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html): when the function returns an error,
 * the batch is split into two smaller batches, each retried separately. Each split invocation counts as one more
 * invocation of its records toward the maximum retry attempts. A partial batch response retries the listed records
 * together, as without splitting. Chunks stay in offset order, so the first record of the first chunk is what the
 * partition's commit waits for.
 */
export function chunksAfterInvocation<M>(
  plan: RetryPlan<M>,
  verdict: InvocationVerdict,
  later: ReadonlyArray<ReadonlyArray<TrackedRecord<M>>>,
  bisectOnError: boolean,
): Array<ReadonlyArray<TrackedRecord<M>>> {
  const retry = plan.retry;
  if (retry.length === 0) return [...later];
  if (bisectOnError && verdict.kind === 'batch-failure' && retry.length > 1) {
    const half = Math.ceil(retry.length / 2);
    return [retry.slice(0, half), retry.slice(half), ...later];
  }
  return [retry, ...later];
}
