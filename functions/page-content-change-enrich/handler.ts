/**
 * Lambda entry point for the Kafka event source mapping (MSK or self-managed).
 * Thin by design: configuration and clients live per container, the work is
 * `processBatch`, and the response is a Kafka partial batch response.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { enrichConfigFrom, type EnrichConfig } from '../../lib/settings/config.js';
import { apiEndpointResolver, type ApiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import type { KafkaBatchResponse } from '../../lib/event-source/kafka-event.js';
import { type EnrichObservability, enrichObservability } from '../../lib/pipeline/observability.js';
import { invocationDeadlines } from '../../lib/pipeline/invocation-deadlines.js';
import { type BatchDependencies, processBatch } from '../../lib/pipeline/process-batch.js';
import { isRepositoryPath } from '../../lib/schemas/schema-document.js';
import { OUTPUT_SCHEMAS } from '../../lib/schemas/page-change-output.js';
import { outputSchemaResolver, type OutputSchemaResolver } from '../../lib/schema-repository/output-schema-resolver.js';
import { revisionContentClient, type RevisionContentClient } from '../../lib/mediawiki/revision-content-client.js';
import type { EventSink } from '../../lib/pipeline/sink.js';
import { kafkaSink, kafkaSinkConfigFromEnv } from '../../lib/pipeline/kafka-sink.js';
import { UnwrittenRecordsError } from '../../lib/pipeline/errors.js';
import type { SchemaResolutionListener } from '../../lib/schema-repository/output-schema-resolver.js';
import { ConfigurationError, readSettings } from '../../lib/settings/catalogue.js';

export interface HandlerDependencies {
  readonly config: EnrichConfig;
  readonly client: RevisionContentClient;
  readonly resolver: ApiEndpointResolver;
  readonly sink: EventSink;
  readonly maxMessageBytes: number;
  /** `ESM_PARTIAL_BATCH_RESPONSE`: false when the event source mapping ignores `batchItemFailures`. @default true */
  readonly partialBatchResponse?: boolean;
  /** Shipped output schemas and those fetched from `EVENT_SCHEMA_BASE_URIS`. @default the shipped ones only */
  readonly outputSchemas?: OutputSchemaResolver;
}

/**
 * Per-container dependencies from the environment; created on first use, reused across invocations.
 * `schemaListener` hears the schema repository (the handler's {@link EnrichObservability}).
 */
export function dependenciesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  sink?: EventSink,
  schemaListener?: SchemaResolutionListener,
): HandlerDependencies {
  // The environment is read and validated once per container.
  const settings = readSettings(env);
  const config = enrichConfigFrom(settings);
  const pinned = config.events.outputSchemaUri;
  if (pinned !== undefined && !OUTPUT_SCHEMAS.has(pinned) && !isRepositoryPath(pinned)) {
    throw new ConfigurationError(`OUTPUT_SCHEMA_URI ${pinned} is neither shipped nor a schema repository path`);
  }
  const resolver = apiEndpointResolver(config.mediawiki.urlTemplate, config.mediawiki.allowedDomains);
  return {
    config,
    resolver,
    client: revisionContentClient(config.mediawiki, { resolver }),
    sink: sink ?? kafkaSink(kafkaSinkConfigFromEnv(env, settings)),
    maxMessageBytes: settings.KAFKA_MAX_MESSAGE_BYTES,
    partialBatchResponse: settings.ESM_PARTIAL_BATCH_RESPONSE === 'true',
    outputSchemas: outputSchemaResolver(config.schemaRepository, { listener: schemaListener }),
  };
}

/** What `processBatch` needs of the container's dependencies, with the invocation's own. */
export function batchDependencies(
  deps: HandlerDependencies,
  invocation: Pick<BatchDependencies, 'produceDeadline' | 'requestId'> = {},
): BatchDependencies {
  return {
    client: deps.client,
    resolver: deps.resolver,
    sink: deps.sink,
    events: deps.config.events,
    maxMessageBytes: deps.maxMessageBytes,
    contentBudgetBytes: deps.config.contentBudgetBytes,
    outputSchemas: deps.outputSchemas,
    ...invocation,
  };
}

/**
 * The handler, with its logger and metrics: by default made here from this process's Powertools settings, before
 * the first invocation reads the others (an invalid one then fails that invocation, not the container's start).
 */
export function createHandler(
  getDependencies: () => HandlerDependencies,
  observability: EnrichObservability = enrichObservability(),
) {
  const { logger, metrics } = observability;
  return middy(async (event: unknown, context: Context): Promise<KafkaBatchResponse> => {
    const deps = getDependencies();
    const remaining =
      typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 15 * 60_000;
    const { fetchBy, produceBy } = invocationDeadlines(Date.now(), remaining, {
      deadlineMarginMs: deps.config.mediawiki.deadlineMarginMs,
      sendWorstCaseMs: deps.sink.sendWorstCaseMs ?? 0,
    });
    const pinned = deps.config.events.outputSchemaUri;
    // A pinned version the bundle lacks is fetched before the first batch; the invocation fails while it cannot be.
    if (pinned !== undefined && deps.outputSchemas) await deps.outputSchemas.require(pinned, fetchBy);
    const requestsBefore = deps.client.stats.requests;
    const result = await processBatch(
      event,
      fetchBy,
      batchDependencies(deps, { produceDeadline: produceBy, requestId: context?.awsRequestId }),
    );
    observability.recordBatchMetrics(result.outcomes, {
      mediawikiRequests: deps.client.stats.requests - requestsBefore,
      sinkFailures: result.sinkFailures,
      batchItemFailures: result.response.batchItemFailures.length,
      peakContentBytes: result.peakContentBytes,
      contentWindows: result.contentWindows,
    });
    const unwritten = result.response.batchItemFailures.length;
    if (unwritten > 0 && deps.partialBatchResponse === false) {
      // On-demand mode has no partial batch response ("Kafka event source mapping scaling modes",
      // https://docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html): Lambda would commit the listed
      // records with the batch. A function error makes it retry the whole batch instead ("Configuring error
      // handling controls for Kafka event sources"): records already written come again as duplicates, none is lost.
      throw new UnwrittenRecordsError(
        `${unwritten} record(s) not written and partial batch responses are off (ESM_PARTIAL_BATCH_RESPONSE=false): ` +
          'failing the invocation so the event source mapping retries the batch',
      );
    }
    return result.response;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

const observability = enrichObservability();
let containerDependencies: HandlerDependencies | undefined;

export const handler = createHandler(
  () => (containerDependencies ??= dependenciesFromEnv(process.env, undefined, observability.schemaResolutionListener)),
  observability,
);
