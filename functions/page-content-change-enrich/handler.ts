/**
 * Lambda entry point for the Kafka event source mapping (MSK or self-managed).
 * Thin by design: configuration and clients live per container, the work is
 * `processBatch`, and the response is a Kafka partial batch response.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { enrichConfigFromEnv, type EnrichConfig } from '../../lib/config.js';
import { apiEndpointResolver, type ApiEndpointResolver } from '../../lib/domain-allowlist.js';
import type { KafkaBatchResponse } from '../../lib/kafka-event.js';
import { logger, metrics, recordBatchMetrics } from '../../lib/observability.js';
import { invocationDeadlines } from '../../lib/invocation-deadlines.js';
import { processBatch } from '../../lib/process-batch.js';
import { revisionContentClient, type RevisionContentClient } from '../../lib/revision-content-client.js';
import type { EventSink } from '../../lib/sink.js';
import { kafkaSinkFromEnv, maxMessageBytesFromEnv } from '../../lib/kafka-sink.js';

export interface HandlerDependencies {
  readonly config: EnrichConfig;
  readonly client: RevisionContentClient;
  readonly resolver: ApiEndpointResolver;
  readonly sink: EventSink;
  readonly maxMessageBytes: number;
}

/** Per-container dependencies from the environment; created on first use, reused across invocations. */
export function dependenciesFromEnv(env: NodeJS.ProcessEnv = process.env, sink?: EventSink): HandlerDependencies {
  const config = enrichConfigFromEnv(env);
  const resolver = apiEndpointResolver(config.mediawiki.urlTemplate, config.mediawiki.allowedDomains);
  return {
    config,
    resolver,
    client: revisionContentClient(config.mediawiki, { resolver }),
    sink: sink ?? kafkaSinkFromEnv(env),
    maxMessageBytes: maxMessageBytesFromEnv(env),
  };
}

export function createHandler(getDependencies: () => HandlerDependencies) {
  return middy(async (event: unknown, context: Context): Promise<KafkaBatchResponse> => {
    const deps = getDependencies();
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 15 * 60_000;
    const { fetchBy, produceBy } = invocationDeadlines(Date.now(), remaining, {
      deadlineMarginMs: deps.config.mediawiki.deadlineMarginMs,
      sendWorstCaseMs: deps.sink.sendWorstCaseMs ?? 0,
    });
    const requestsBefore = deps.client.stats.requests;
    const result = await processBatch(event, fetchBy, {
      client: deps.client,
      resolver: deps.resolver,
      sink: deps.sink,
      events: deps.config.events,
      maxMessageBytes: deps.maxMessageBytes,
      produceDeadline: produceBy,
      requestId: context?.awsRequestId,
    });
    recordBatchMetrics(result.outcomes, {
      mediawikiRequests: deps.client.stats.requests - requestsBefore,
      sinkFailures: result.sinkFailures,
      batchItemFailures: result.response.batchItemFailures.length,
    });
    return result.response;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

let containerDependencies: HandlerDependencies | undefined;

export const handler = createHandler(() => (containerDependencies ??= dependenciesFromEnv()));
