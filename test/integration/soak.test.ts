/**
 * Fault soak: SOAK_RECORDS (default 20,000) page_change records through
 * replay → local event source mapping → handler → output/error topics, against the
 * real MediaWiki behind a proxy that injects every failure of the MediaWiki failure table at
 * random and in bursts, while the broker is stopped and restarted once. An invariant
 * checker then reads every topic and the proxy's log.
 *
 * SOAK_SEED fixes the random fault schedule (printed on every run).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { after, before, test } from 'node:test';
import type { EventSink } from '../../lib/pipeline/sink.js';
import { prng } from '../../bench/content.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { TEST_DOMAIN } from '../support/enrich-harness.js';
import { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { ensureKafka, REPO_ROOT, startKafka, stopKafka } from '../../scripts/kafka/broker.js';
import { createRevision, ensureMediaWiki, uniqueTitle } from '../support/mediawiki.js';
import { accountFor, createPipelineTopics, pipelineHandler, runLocalEsm } from '../support/pipeline-harness.js';

const RECORDS = Number(process.env.SOAK_RECORDS ?? 20_000);
const PAGES = Number(process.env.SOAK_PAGES ?? 150);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const MAX_RETRIES = 3;

const RETRIED: ReadonlySet<string> = new Set([
  'timeout',
  'reset',
  'unsent',
  's500',
  's502',
  's503',
  's504',
  'maxlag',
  'omit-revisions',
]);
const FAULTS: Array<[string, Fault]> = [
  ['timeout', { kind: 'timeout' }],
  ['reset', { kind: 'reset' }],
  ['s500', { kind: 'status', status: 500 }],
  ['s502', { kind: 'status', status: 502 }],
  ['s503', { kind: 'status', status: 503 }],
  ['s504', { kind: 'status', status: 504 }],
  ['maxlag', { kind: 'maxlag', retryAfterSeconds: 0 }],
  ['omit-revisions', { kind: 'omit-revisions' }],
  ['s204', { kind: 'status', status: 204 }],
  ['s301', { kind: 'status', status: 301, headers: { location: 'http://127.0.0.1:9/elsewhere' } }],
  ['s404', { kind: 'status', status: 404 }],
  ['s429', { kind: 'status', status: 429 }],
  ['s501', { kind: 'status', status: 501 }],
];
const KNOWN_ERROR_TYPES = new Set([
  'InvalidJson',
  'InvalidEvent',
  'DomainNotAllowed',
  'RevisionMissing',
  'ContentHidden',
  'ContentIntegrityMismatch',
  'MediaWikiNetworkError',
  'MediaWikiHttpNoContent',
  'MediaWikiHttpRedirect',
  'MediaWikiHttpClientError',
  'MediaWikiHttpServerError',
  'MediaWikiMaxlag',
  'MediaWikiApiError',
  'MessageTooLarge',
]);

let brokers: string[];
let apiUrl: string;
let proxy: FaultProxy;
const faultOf = new Map<ProxiedRequest, string>();
const texts = new Map<number, string>();
const revsOfPage = new Map<number, number[]>();

before(async () => {
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  for (let p = 0; p < PAGES; p++) {
    const title = uniqueTitle('Soak');
    for (let r = 0; r < 2; r++) {
      const rev = await createRevision(title, `Soak page ${p} revision ${r} — ${'äöü ✓ '.repeat(10 + (p % 50))}`);
      texts.set(rev.revId, rev.text);
      (revsOfPage.get(rev.pageId) ?? revsOfPage.set(rev.pageId, []).get(rev.pageId)!).push(rev.revId);
    }
  }
  proxy = await startFaultProxy(apiUrl);
});
after(() => proxy?.close());

test(`fault soak: ${RECORDS} records, random faults in bursts, a broker restart; every invariant holds`, {
  timeout: 30 * 60_000,
}, async () => {
  console.error(`[soak] records=${RECORDS} pages=${PAGES} seed=${SEED} (SOAK_SEED=${SEED} replays this schedule)`);
  const random = prng(SEED);
  const pageIds = [...revsOfPage.keys()];
  const lines: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const roll = random();
    if (roll < 0.005) lines.push(`{"broken": ${i}`);
    else if (roll < 0.01) lines.push(JSON.stringify(pageChangeEvent({ domain: '169.254.169.254', revId: i + 1 })));
    else {
      const pageId = pageIds[Math.floor(random() * pageIds.length)]!;
      const revs = revsOfPage.get(pageId)!;
      const revId = revs[Math.floor(random() * revs.length)]!;
      lines.push(JSON.stringify(pageChangeEvent({ domain: TEST_DOMAIN, pageId, revId, content: texts.get(revId) })));
    }
  }

  // Faults arrive in bursts: mostly healthy, then a run of one failure kind.
  let burst: { name: string; fault: Fault; left: number } | undefined;
  proxy.setDefault((req) => {
    if (!burst && random() < 0.3) {
      const [name, fault] = FAULTS[Math.floor(random() * FAULTS.length)]!;
      burst = { name, fault, left: 1 + Math.floor(random() * 6) };
    }
    if (!burst) return undefined;
    const { name, fault } = burst;
    if (--burst.left <= 0) burst = undefined;
    faultOf.set(req, name);
    return fault;
  });

  const topics = await createPipelineTopics(brokers, 'soak');
  const file = join(mkdtempSync(join(tmpdir(), 'soak-')), 'events.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  execFileSync('npx', ['tsx', 'scripts/replay.ts', file, '--topic', topics.input], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: '' },
    stdio: ['ignore', 'ignore', 'ignore'],
  });

  // The retry count is the only bound on retries here: the retry budget and the invocation's deadline, which
  // count real time, are far beyond what MAX_RETRIES attempts take, so the invariants hold on a slow machine too.
  const h = pipelineHandler(brokers, proxy.url, topics, {
    api: {
      maxRetries: MAX_RETRIES,
      timeoutMs: 1000,
      retryBaseMs: 5,
      retryMaxMs: 50,
      concurrency: 8,
      retryBudgetMs: 10 * 60_000,
    },
  });
  // What each invocation wrote to the output stream, in the order the sink confirmed it: per-page order is a
  // property of each delivery attempt (docs/guarantees.md), checked below.
  const invocation = new AsyncLocalStorage<number>();
  let invocationCount = 0;
  const outputWrites: Array<{ invocation: number; page: string; offset: number }> = [];
  const kafkaSink = h.deps.sink;
  (h.deps as { sink: EventSink }).sink = {
    sendWorstCaseMs: kafkaSink.sendWorstCaseMs,
    async send(messages, deadline) {
      const report = await kafkaSink.send(messages, deadline);
      messages.forEach((m, i) => {
        if (m.kind !== 'output' || report.failed.has(i)) return;
        const page = `${m.source.partition}/${m.key}`;
        outputWrites.push({ invocation: invocation.getStore() ?? -1, page, offset: m.source.offset });
      });
      return report;
    },
  };
  const handle = h.handler;
  const counted = {
    ...h,
    handler: ((event, context) => invocation.run(++invocationCount, () => handle(event, context))) as typeof handle,
  };
  const esm = await runLocalEsm(brokers, counted, topics, {
    batchSize: 100,
    maxRetryAttempts: 1000,
    invocationTimeoutMs: 15 * 60_000,
  });
  const progress = setInterval(
    () =>
      console.error(
        `[soak] handled=${esm.stats.records} invocations=${esm.stats.invocations} redeliveries=${esm.stats.redeliveries} wiki requests=${proxy.requests.length}`,
      ),
    10_000,
  );
  try {
    while (esm.stats.records < RECORDS * 0.3) await new Promise((r) => setTimeout(r, 100));
    console.error('[soak] stopping the broker');
    await stopKafka();
    // Longer than the producer's own retries (~6 s), so sends fail and records are redelivered.
    await new Promise((r) => setTimeout(r, 8000));
    await startKafka();
    console.error('[soak] broker restarted');
    // A local ESM whose consumer gave up (restarts without progress exhausted) fails the soak with its cause at
    // once, rather than after the accounting's 20-minute wait.
    const acc = await Promise.race([
      accountFor(brokers, topics, RECORDS, 20 * 60_000),
      esm.failure.then((e) => Promise.reject(e)),
    ]);

    // 1. Every input record exactly once after de-duplication by source offset; nothing else.
    const offsetsByPartition = new Map<string, Set<number>>();
    for (const id of acc.seen.keys()) {
      const [p, o] = id.split(':');
      (offsetsByPartition.get(p!) ?? offsetsByPartition.set(p!, new Set()).get(p!)!).add(Number(o));
    }
    let total = 0;
    for (const [p, offsets] of offsetsByPartition) {
      total += offsets.size;
      const max = Math.max(...offsets);
      assert.equal(offsets.size, max + 1, `partition ${p}: offsets 0..${max} each present`);
    }
    assert.equal(total, RECORDS, 'de-duplicated records equal the input');
    assert.equal(acc.onFailure.length, 0, 'nothing needed the on-failure topic');

    // 2. Enriched content equals the wiki's.
    for (const r of acc.output) {
      const e = JSON.parse(r.value!);
      assert.equal(
        e.revision.content_slots.main.content_body,
        texts.get(e.revision.rev_id),
        `content of revision ${e.revision.rev_id}`,
      );
    }

    // 3. Per page, each invocation writes enriched events in input order. Across invocations the topic can show a
    // page's record after a later one: a record whose error event was refused (the broker stopping between the
    // output and the error request) is redelivered, and enriched then, after later output of its page was written;
    // each output stream replays in order on retry, as docs/guarantees.md says, not both streams together.
    const lastWritten = new Map<string, number>();
    for (const w of outputWrites) {
      const key = `${w.invocation}|${w.page}`;
      const last = lastWritten.get(key) ?? -1;
      assert.ok(w.offset > last, `invocation ${w.invocation}, page ${w.page}: offset ${w.offset} after ${last}`);
      lastWritten.set(key, w.offset);
    }
    assert.ok(outputWrites.length > 0, 'the sink reported what it wrote');

    // 4. Every error event names a documented cause.
    const errorTypes: Record<string, number> = {};
    for (const r of acc.errors) {
      const e = JSON.parse(r.value!);
      assert.ok(KNOWN_ERROR_TYPES.has(e.error_type), `unknown error_type ${e.error_type}`);
      assert.ok(e.message.length > 0 && e.raw_event.length > 0);
      errorTypes[e.error_type] = (errorTypes[e.error_type] ?? 0) + 1;
    }

    // 5. Retries at the wiki follow the table, per invocation and revision: the request is
    // retried as a whole; after it fails for good, its halves are asked once each, and so on.
    // Attempts as the client made them (client-attempts.ts), each with what the proxy received of it: the client's
    // side decides what it met, so the verdicts hold however slow the wiki, the broker or the event loop was.
    const sent = proxy.clientAttempts();
    assert.ok(sent.length >= proxy.requests.length, 'every request the proxy received came from the client here');
    const attempts = new Map<string, Array<{ fault: string; size: number }>>();
    for (const { attempt, received } of sent) {
      const url = new URL(received?.url ?? attempt.path, 'http://proxy');
      assert.ok(attempt.requestId, 'every request carries the invocation id');
      // A continuation (`continue`/`rvcontinue` from the wiki's answer) is the same attempt's next page, asked with the
      // same revision ids: not a retry.
      if (url.searchParams.has('continue')) continue;
      const injected = received && faultOf.get(received);
      // An answer the client gave up on before reading it whole (a slow wiki under load, a busy event loop) was a
      // timeout to it, whatever the proxy sent; a request that never arrived (the proxy's side of a kept-alive
      // connection closed as it went out) was a connection failure.
      let fault = injected ?? 'ok';
      if (attempt.outcome === 'gave-up') fault = !received ? 'unsent' : injected === 'reset' ? 'reset' : 'timeout';
      const revids = (url.searchParams.get('revids') ?? '').split('|').filter(Boolean).map(Number);
      for (const revId of revids) {
        const key = `${attempt.requestId}|${revId}`;
        (attempts.get(key) ?? attempts.set(key, []).get(key)!).push({ fault, size: revids.length });
      }
    }
    let retried = 0;
    let exhausted = 0;
    let probes = 0;
    for (const [key, all] of attempts) {
      const whole = all.filter((a) => a.size === all[0]!.size);
      const split = all.slice(whole.length);
      const faults = whole.map((a) => a.fault);
      assert.ok(whole.length <= MAX_RETRIES + 1, `${key}: ${whole.length} attempts`);
      for (const f of faults.slice(0, -1))
        assert.ok(RETRIED.has(f), `${key}: retried after ${f}, which the table never retries (${faults})`);
      const last = faults.at(-1)!;
      if (RETRIED.has(last) && split.length === 0) {
        assert.equal(whole.length, MAX_RETRIES + 1, `${key}: gave up after ${whole.length} attempts on ${last}`);
        exhausted++;
      }
      if (split.length > 0) {
        assert.notEqual(last, 'ok', `${key}: split after a request that succeeded`);
        split.forEach((a, i) => {
          assert.ok(
            a.size < (i === 0 ? whole[0]!.size : split[i - 1]!.size),
            `${key}: each part is asked once, smaller each time (${all.map((x) => x.size)})`,
          );
        });
        assert.ok(split.length <= Math.ceil(Math.log2(whole[0]!.size)), `${key}: ${split.length} parts`);
      }
      retried += whole.length - 1;
      probes += split.length;
    }
    console.error(
      `[soak] ok: records=${RECORDS} output=${acc.output.length} errors=${acc.errors.length} duplicates=${acc.duplicates} invocations=${esm.stats.invocations} redeliveries=${esm.stats.redeliveries} wiki requests=${proxy.requests.length} faults=${faultOf.size} retries=${retried} exhausted=${exhausted} split probes=${probes}`,
    );
    console.error(`[soak] error types: ${JSON.stringify(errorTypes)}`);
    assert.ok(faultOf.size > 0 && retried > 0, 'faults were injected and retried');
  } finally {
    clearInterval(progress);
    await esm.stop();
    await h.close();
  }
});
