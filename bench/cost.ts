/**
 * What a user pays per million events, from billed wall time of invocations at the configured batch
 * size. Lambda bills duration × configured memory in GB-seconds, rounded up to the millisecond, plus a
 * price per request ("AWS Lambda Pricing", https://aws.amazon.com/lambda/pricing/; arm64, us-east-1,
 * first tier). CPU is allocated in proportion to memory, one vCPU at 1,769 MB ("Configure Lambda
 * function memory", https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html): below that,
 * the measured CPU time stretches by 1769/memory, with no extra overlap assumed (a pessimistic model,
 * as AWS Lambda Power Tuning would measure rather than model). This machine's core counts as one vCPU.
 */

/** USD per GB-second, arm64 (the function's architecture, infra/constructs/enrich-function.ts). */
export const PRICE_PER_GB_SECOND = 0.0000133334;
/** USD per request. */
export const PRICE_PER_REQUEST = 0.2 / 1_000_000;
const ONE_VCPU_MB = 1769;
/** Memory sizes the cost model prices (MB), as AWS Lambda Power Tuning would try them. */
export const MEMORY_SIZES = [128, 256, 384, 512, 768, 1024, 1536, 1769, 2048, 3008];

export interface InvocationCostInput {
  readonly events: number;
  readonly wallMs: number;
  /** CPU of all threads during the invocation. */
  readonly cpuMs: number;
  readonly peakRssMB: number;
}

export interface CostAt {
  readonly memoryMB: number;
  readonly billedMs: number;
  readonly gbSecondsPerMillion: number;
  readonly usdPerMillion: number;
}

/** Cost per million events of invocations like `run` at `memoryMB`. */
export function costAt(run: InvocationCostInput, memoryMB: number): CostAt {
  const stretch = Math.max(0, ONE_VCPU_MB / memoryMB - 1);
  const billedMs = Math.ceil(run.wallMs + run.cpuMs * stretch);
  const invocations = 1_000_000 / run.events;
  const gbSecondsPerMillion = invocations * (billedMs / 1000) * (memoryMB / 1024);
  return {
    memoryMB,
    billedMs,
    gbSecondsPerMillion,
    usdPerMillion: gbSecondsPerMillion * PRICE_PER_GB_SECOND + invocations * PRICE_PER_REQUEST,
  };
}

/** The cheapest memory size that holds the invocation's peak RSS. */
export function cheapestMemory(run: InvocationCostInput): CostAt {
  return MEMORY_SIZES.filter((m) => m > run.peakRssMB)
    .map((m) => costAt(run, m))
    .sort((a, b) => a.usdPerMillion - b.usdPerMillion)[0]!;
}
