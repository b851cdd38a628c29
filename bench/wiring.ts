/**
 * The real handler wired for the bench: the project's revision content client (through the
 * latency proxy), the project's Kafka sink, and thin timing/counting wrappers around both.
 * Shared by the in-process pipeline runs and the memory child processes.
 */
import net from 'node:net';
import type { Kafka, Producer } from 'kafkajs';
import { Kafka as KafkaClient, logLevel } from 'kafkajs';
import { createHandler, type HandlerDependencies } from '../functions/page-content-change-enrich/handler.js';
import type { EnrichConfig, MediaWikiApiConfig } from '../lib/settings/config.js';
import { apiEndpointResolver } from '../lib/mediawiki/domain-allowlist.js';
import { kafkaSink, type KafkaSink } from '../lib/kafka/kafka-sink.js';
import {
  revisionContentClient,
  type RevisionContentClient,
  type RevisionResult,
} from '../lib/mediawiki/revision-content-client.js';
import type { EventSink } from '../lib/kafka/sink.js';

export const BENCH_DOMAIN_SUFFIX = 'bench.wiki.local';
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface Strategy {
  readonly name: 'batched' | 'baseline';
  readonly label: string;
  /** Revision ids per MediaWiki request. */
  readonly batchSize: number;
  readonly concurrency: number;
  readonly connections: number;
}

/** The project's defaults (MW_API_BATCH_SIZE=50, MW_API_CONCURRENCY=8, MW_API_CONNECTIONS=8). */
export const BATCHED: Strategy = {
  name: 'batched',
  label: 'batched (50 ids/req, conc 8)',
  batchSize: 50,
  concurrency: 8,
  connections: 8,
};
/** The same code asking for one revision per request. */
export const BASELINE: Strategy = {
  name: 'baseline',
  label: 'one-per-event (1 id/req, conc 8)',
  batchSize: 1,
  concurrency: 8,
  connections: 8,
};
export const STRATEGIES: readonly Strategy[] = [BATCHED, BASELINE];

export function domainFor(i: number): string {
  return i === 0 ? `en.${BENCH_DOMAIN_SUFFIX}` : `w${String(i).padStart(2, '0')}.${BENCH_DOMAIN_SUFFIX}`;
}

export function benchApiConfig(apiUrl: string, strategy: Strategy): MediaWikiApiConfig {
  return {
    // A fixed URL (no {domain}): every allowed domain goes to the one local wiki through the proxy.
    urlTemplate: apiUrl,
    allowedDomains: [`*.${BENCH_DOMAIN_SUFFIX}`],
    userAgent: 'mw-page-content-change-enrich-bench/0.1 (bench@example.org)',
    timeoutMs: 60_000,
    connectTimeoutMs: 2000,
    maxRetries: 3,
    retryBaseMs: 100,
    retryMaxMs: 1000,
    maxlag: 5,
    batchSize: strategy.batchSize,
    concurrency: strategy.concurrency,
    connections: strategy.connections,
    deadlineMarginMs: 0,
  };
}

export const BENCH_EVENT_CONFIG = {
  outputStream: 'mediawiki.page_content_change.v1',
  errorStream: 'mw_page_content_change_enrich.error',
  errorSchemaUri: '/error/2.1.0',
  emitterId: 'bench',
};

export function benchKafka(
  brokers: string[],
  clientId: string,
  consumerOverrides: Record<string, unknown> = {},
): Kafka {
  const kafka = new KafkaClient({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  // The local ESM creates its consumer with kafkajs' default fetch limits (1 MB per partition),
  // which would cut a 1000-record batch short. Raise them so an invocation gets `batchSize` records.
  return new Proxy(kafka, {
    get(target, prop, receiver) {
      if (prop === 'consumer') {
        return (opts: Parameters<Kafka['consumer']>[0]) =>
          target.consumer({
            maxBytesPerPartition: 64 * 1024 * 1024,
            maxBytes: 128 * 1024 * 1024,
            ...opts,
            ...consumerOverrides,
          });
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

export interface InvocationSample {
  records: number;
  wallMs: number;
  /** process.cpuUsage delta (user+system, all threads) over the handler call, ms. */
  cpuMs: number;
  /** Event-loop active (not idle in poll) time over the handler call, ms: main-thread work outside I/O waits. */
  loopBusyMs: number;
  fetchMs: number;
  sinkMs: number;
  mwRequests: number;
  kafkaProduceBytes: number;
}

export interface Counters {
  kafkaProduceRequests: number;
  /** Bytes the sink wrote to broker sockets. */
  kafkaBytesWritten: number;
  outputMessages: number;
  errorMessages: number;
  outputValueBytes: number;
  fetchMs: number;
  sinkMs: number;
  errorTypes: Record<string, number>;
}

export interface BenchHandler {
  readonly handler: ReturnType<typeof createHandler>;
  readonly deps: HandlerDependencies;
  readonly client: RevisionContentClient;
  readonly sink: KafkaSink;
  readonly counters: Counters;
  /** Per-(domain) results of the last fetches, for the no-I/O replay; only when `record` is set. */
  readonly recorded: Map<string, Map<number, RevisionResult>>;
  close(): Promise<void>;
}

export function benchHandler(opts: {
  brokers: string[];
  apiUrl: string;
  strategy: Strategy;
  outputTopic: string;
  errorTopic: string;
  compression: 'gzip' | 'none';
  record?: boolean;
}): BenchHandler {
  const config: EnrichConfig = { mediawiki: benchApiConfig(opts.apiUrl, opts.strategy), events: BENCH_EVENT_CONFIG };
  const resolver = apiEndpointResolver(config.mediawiki.urlTemplate, config.mediawiki.allowedDomains);
  const counters: Counters = {
    kafkaProduceRequests: 0,
    kafkaBytesWritten: 0,
    outputMessages: 0,
    errorMessages: 0,
    outputValueBytes: 0,
    fetchMs: 0,
    sinkMs: 0,
    errorTypes: {},
  };
  const recorded = new Map<string, Map<number, RevisionResult>>();

  // Bytes on the wire to the broker: count what the sink's sockets write (Produce requests dominate).
  const kafka = new KafkaClient({
    clientId: `bench-sink-${opts.strategy.name}`,
    brokers: opts.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    socketFactory: ({ host, port, onConnect }) => {
      const socket = net.connect({ host, port }, onConnect);
      socket.setKeepAlive(true, 60_000);
      const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
      socket.write = ((chunk: unknown, ...rest: unknown[]) => {
        counters.kafkaBytesWritten += Buffer.isBuffer(chunk)
          ? chunk.length
          : Buffer.byteLength(String(chunk), 'binary');
        return write(chunk, ...rest);
      }) as typeof socket.write;
      return socket;
    },
  });
  const counting = new Proxy(kafka, {
    get(target, prop, receiver) {
      if (prop === 'producer') {
        return (o: Parameters<Kafka['producer']>[0]) => {
          const p: Producer = target.producer(o);
          p.on(p.events.REQUEST, (e) => {
            if (e.payload.apiName === 'Produce') counters.kafkaProduceRequests++;
          });
          return p;
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  const sink = kafkaSink(
    {
      connection: {
        brokers: opts.brokers,
        auth: 'none',
        clientId: 'bench',
        connectionTimeoutMs: 3000,
        requestTimeoutMs: 30_000,
        logLevel: 'NOTHING',
      },
      outputTopic: opts.outputTopic,
      errorTopic: opts.errorTopic,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      compression: opts.compression,
    },
    async () => counting,
  );
  const client = revisionContentClient(config.mediawiki, { resolver });

  let fetchesInFlight = 0;
  let fetchPhaseStart = 0;
  const timedClient: RevisionContentClient = {
    get stats() {
      return client.stats;
    },
    async fetchRevisions(domain, revIds, deadline, requestId, onResults) {
      // Wall time of the fetch phase: per-domain fetches run concurrently, count their union.
      if (fetchesInFlight++ === 0) fetchPhaseStart = performance.now();
      try {
        const res = await client.fetchRevisions(domain, revIds, deadline, requestId, onResults);
        if (opts.record) {
          const m = recorded.get(domain) ?? recorded.set(domain, new Map()).get(domain)!;
          for (const [id, r] of res) m.set(id, r);
        }
        return res;
      } finally {
        if (--fetchesInFlight === 0) counters.fetchMs += performance.now() - fetchPhaseStart;
      }
    },
    close: () => client.close(),
  };
  const timedSink: EventSink = {
    async send(messages) {
      const t0 = performance.now();
      for (const m of messages) {
        if (m.kind === 'output') {
          counters.outputMessages++;
          // m.bytes is known without serializing; reading m.value here would serialize every event twice.
          counters.outputValueBytes += m.bytes - Buffer.byteLength(m.key ?? '');
        } else {
          counters.errorMessages++;
          const type = /"error_type":"([^"]+)"/.exec(m.value)?.[1] ?? 'unknown';
          counters.errorTypes[type] = (counters.errorTypes[type] ?? 0) + 1;
        }
      }
      try {
        return await sink.send(messages);
      } finally {
        counters.sinkMs += performance.now() - t0;
      }
    },
  };
  const deps: HandlerDependencies = {
    config,
    resolver,
    client: timedClient,
    sink: timedSink,
    maxMessageBytes: MAX_MESSAGE_BYTES,
  };
  return {
    handler: createHandler(() => deps),
    deps,
    client,
    sink,
    counters,
    recorded,
    async close() {
      await sink.disconnect();
      await client.close();
    },
  };
}
