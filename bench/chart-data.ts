/**
 * The rows the bench charts draw, read from a results file (bench-results/results.json,
 * docs/bench-results.json) and nothing else. The reader is tolerant: a section the file lacks gives no
 * rows, rows it does not know are ignored, so a results file from an older or newer bench still draws.
 */
import { costAt, MEMORY_SIZES } from './cost.js';

/** One invocation as results.json records it (bench/lambda-child.ts `InvocationReport`), the fields the charts read. */
interface Invocation {
  readonly events: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMB?: number;
  readonly gcScavengeMs?: number;
  readonly gcOtherMs?: number;
}

export interface ThroughputRow {
  readonly series: string;
  readonly latencyMs: number;
  readonly eventsPerSecond: number;
}

export interface CostRow {
  readonly latency: string;
  readonly memoryMB: number;
  readonly usdPerMillion: number;
}

export interface CpuRow {
  /** The bar, with its total: `floor: 0.214 ms`. */
  readonly bar: string;
  /** 0 for the measured bar, 1 for the floor: the measured one on top. */
  readonly barOrder: number;
  readonly part: string;
  readonly msPerEvent: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

function invocation(x: unknown): Invocation | undefined {
  if (!isRecord(x)) return undefined;
  const events = num(x.events);
  const wallMs = num(x.wallMs);
  const cpuMs = num(x.cpuMs);
  if (!events || wallMs === undefined || cpuMs === undefined) return undefined;
  return {
    events,
    wallMs,
    cpuMs,
    peakRssMB: num(x.peakRssMB),
    gcScavengeMs: num(x.gcScavengeMs),
    gcOtherMs: num(x.gcOtherMs),
  };
}

const invocations = (x: unknown) => list(x).flatMap((i) => invocation(i) ?? []);

/** The median, the lower one of an even count (as the bench's report takes it). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** The `lambdaPath` section (or the file itself when it is that section). */
function lambdaPath(results: unknown): Record<string, unknown> {
  if (!isRecord(results)) return {};
  return isRecord(results.lambdaPath) ? results.lambdaPath : results;
}

/** Cost invocations per latency: `lambdaPath.cost[]` = `{ latencyMs, runs[] }`. */
function costGroups(path: Record<string, unknown>): Array<{ latencyMs: number; runs: Invocation[] }> {
  return list(path.cost).flatMap((g) => {
    const latencyMs = isRecord(g) ? num(g.latencyMs) : undefined;
    const runs = isRecord(g) ? invocations(g.runs) : [];
    return latencyMs === undefined || runs.length === 0 ? [] : [{ latencyMs, runs }];
  });
}

const perSecond = (events: number, wallMs: readonly number[]) => events / (median(wallMs) / 1000);

/**
 * Events per second against MediaWiki latency: the function's invocations at each latency (the cost
 * invocations, of the stack's batch size), its warm big invocations at the bench latency, and the sequential
 * one-request-per-event fetcher (`sequential`, one object or a list, at its own latency or the bench's).
 */
export function throughputRows(results: unknown): ThroughputRow[] {
  const path = lambdaPath(results);
  const benchLatency = num(path.latencyMs);
  const rows: ThroughputRow[] = [];
  const functionRow = (what: string, latencyMs: number, runs: readonly Invocation[]) => {
    const events = runs[0]!.events;
    rows.push({
      series: `function, ${what} of ${events} events`,
      latencyMs,
      eventsPerSecond: perSecond(
        events,
        runs.map((r) => r.wallMs),
      ),
    });
  };
  for (const g of costGroups(path)) functionRow('invocations', g.latencyMs, g.runs);
  const warm = invocations(path.warm);
  if (benchLatency !== undefined && warm.length > 0) functionRow('warm big invocations', benchLatency, warm);
  for (const s of Array.isArray(path.sequential) ? path.sequential : [path.sequential]) {
    if (!isRecord(s)) continue;
    const events = num(s.events);
    const wallMs = num(s.wallMs);
    const latencyMs = num(s.latencyMs) ?? benchLatency;
    if (events && wallMs && latencyMs !== undefined) {
      rows.push({ series: 'one request per event (sequential)', latencyMs, eventsPerSecond: events / (wallMs / 1000) });
    }
  }
  return rows.sort((a, b) => a.series.localeCompare(b.series) || a.latencyMs - b.latencyMs);
}

/**
 * Cost per million events against memory size, per MediaWiki latency, from the cost invocations (median
 * wall and CPU, highest peak RSS) through the bench's cost model; only sizes that hold the peak RSS.
 */
export function costRows(results: unknown): CostRow[] {
  return costGroups(lambdaPath(results)).flatMap(({ latencyMs, runs }) => {
    const run = {
      events: runs[0]!.events,
      wallMs: median(runs.map((r) => r.wallMs)),
      cpuMs: median(runs.map((r) => r.cpuMs)),
      peakRssMB: Math.max(...runs.map((r) => r.peakRssMB ?? 0)),
    };
    return MEMORY_SIZES.filter((m) => m > run.peakRssMB).map((memoryMB) => ({
      latency: `${latencyMs} ms`,
      memoryMB,
      usdPerMillion: costAt(run, memoryMB).usdPerMillion,
    }));
  });
}

const MEASURED_PROFILE = 'measured, warm (profile)';
const MEASURED_WARM = 'measured, warm';
const FLOOR = 'floor';

/**
 * CPU per event by phase beside the floor. The measured bar is the profile's phases when the run made
 * one (mode full: `profile[]` = `{ phase, msPerEvent }`); otherwise the warm invocations' CPU per event
 * beyond a 1-event invocation, split into main-thread GC pauses and the rest. The floor bar is its steps.
 */
export function cpuRows(results: unknown): CpuRow[] {
  const rows: Array<Omit<CpuRow, 'bar' | 'barOrder'> & { name: string }> = [];
  const profile = isRecord(results) ? list(results.profile) : [];
  for (const p of profile) {
    const ms = isRecord(p) ? num(p.msPerEvent) : undefined;
    if (isRecord(p) && typeof p.phase === 'string' && ms !== undefined) {
      rows.push({ name: MEASURED_PROFILE, part: p.phase, msPerEvent: ms });
    }
  }
  const path = lambdaPath(results);
  const warm = invocations(path.warm);
  const one = invocation(path.warmOne);
  if (rows.length === 0 && warm.length > 0) {
    const events = warm[0]!.events;
    const fixedMs = one && events > one.events ? one.cpuMs : 0;
    const countedEvents = one && events > one.events ? events - one.events : events;
    const cpu = (median(warm.map((w) => w.cpuMs)) - fixedMs) / countedEvents;
    const gc = median(warm.map((w) => (w.gcScavengeMs ?? 0) + (w.gcOtherMs ?? 0))) / events;
    rows.push({ name: MEASURED_WARM, part: 'GC pauses on the main thread', msPerEvent: Math.min(gc, cpu) });
    rows.push({
      name: MEASURED_WARM,
      part: 'everything else (mode full profiles it)',
      msPerEvent: Math.max(0, cpu - gc),
    });
  }
  const floor = isRecord(path.floor) && isRecord(path.floor.steps) ? path.floor.steps : {};
  for (const [step, ms] of Object.entries(floor)) {
    const value = num(ms);
    if (value !== undefined) rows.push({ name: FLOOR, part: `floor: ${step}`, msPerEvent: value });
  }
  const total = (name: string) => rows.filter((r) => r.name === name).reduce((sum, r) => sum + r.msPerEvent, 0);
  return rows.map(({ name, ...row }) => ({
    bar: `${name}: ${total(name).toFixed(3)} ms`,
    barOrder: name === FLOOR ? 1 : 0,
    ...row,
  }));
}
