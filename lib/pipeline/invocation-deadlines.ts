/**
 * `invocationDeadlines`: how one invocation divides its time between fetching and producing, so
 * the handler returns its partial batch response before Lambda's timeout even when MediaWiki or
 * the broker stalls. A function that times out returns nothing: Lambda treats that as a function
 * error and retries (and, with bisect on error, splits) the whole batch, so the records written
 * so far come again (AWS, "Configuring error handling controls for Kafka event sources",
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
 */
import { deadlineAt, type Deadline } from '../core/deadline.js';

/**
 * Time kept after the last produce request for building the response, flushing metrics and logs,
 * and the Lambda runtime's own work, ms.
 */
export const RESPONSE_RESERVE_MS = 500;

export interface InvocationDeadlines {
  /** No MediaWiki request or retry starts that could not end by then. */
  readonly fetchBy: Deadline;
  /** No produce request is awaited past it; what is unwritten then is listed for redelivery. */
  readonly produceBy: Deadline;
  /** Time between the two, ms. */
  readonly produceMarginMs: number;
}

/**
 * The one place the invocation's deadlines are derived:
 *
 *   lambdaDeadline = now + remaining time (`context.getRemainingTimeInMillis()`)
 *   produceBy      = lambdaDeadline − RESPONSE_RESERVE_MS
 *   produceMargin  = min(max(MW_API_DEADLINE_MARGIN_MS, sendWorstCaseMs), (produceBy − now) / 2)
 *   fetchBy        = produceBy − produceMargin
 *
 * `sendWorstCaseMs` is the producer's own worst case for one request with its retries
 * (`sendWorstCaseMs` in lib/kafka/producer.ts), so a send that starts at `fetchBy` can finish. When the
 * function's timeout is too short for that, fetching still gets half of the time; `produceBy`
 * holds either way, because the sink abandons a request that would run past it.
 */
export function invocationDeadlines(
  nowMs: number,
  remainingMs: number,
  settings: { readonly deadlineMarginMs: number; readonly sendWorstCaseMs: number },
): InvocationDeadlines {
  const produceByMs = nowMs + remainingMs - RESPONSE_RESERVE_MS;
  const wanted = Math.max(settings.deadlineMarginMs, settings.sendWorstCaseMs);
  // Whole milliseconds: request timeouts derive from these, and undici rejects a fractional timeout.
  const produceMarginMs = Math.floor(Math.max(0, Math.min(wanted, (produceByMs - nowMs) / 2)));
  return { fetchBy: deadlineAt(produceByMs - produceMarginMs), produceBy: deadlineAt(produceByMs), produceMarginMs };
}
