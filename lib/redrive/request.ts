/**
 * The redrive request: the options an operator gives (command line or the Lambda's JSON event),
 * validated; the consumer group it reads with; the topics it reads and writes.
 */
import { prefixedTopic } from '../settings/topic-name.js';
import { SETTINGS, type SettingValues } from '../settings/catalogue.js';
import type { RedriveSelection, RedriveSourceKind } from './selection.js';

export class RedriveOptionsError extends Error {
  override readonly name = 'RedriveOptionsError';
}

export function defaultRedriveGroupId(
  from: RedriveSourceKind,
  prefix: string = SETTINGS.REDRIVE_GROUP_PREFIX.default,
): string {
  return `${prefix}${from}`;
}

/**
 * The consumer group of a request: the one it names, or `<prefix><from>`. With `requirePrefix` (the
 * Lambda function, whose IAM policy covers only groups under the prefix) a named group must start with it.
 */
export function redriveGroupIdFor(
  request: Pick<RedriveRequest, 'from' | 'groupId'>,
  prefix: string,
  requirePrefix = false,
): string {
  if (request.groupId === undefined) return defaultRedriveGroupId(request.from, prefix);
  if (requirePrefix && !request.groupId.startsWith(prefix)) {
    throw new RedriveOptionsError(`groupId must start with "${prefix}" (the groups this function may use)`);
  }
  return request.groupId;
}

/** The options an operator gives, on the command line or as the Lambda's JSON event. */
export interface RedriveRequest extends RedriveSelection {
  readonly max?: number;
  readonly dryRun: boolean;
  readonly groupId?: string;
}

function optionalDate(value: unknown, name: string): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const d = new Date(String(value));
  if (typeof value !== 'string' || Number.isNaN(d.getTime()))
    throw new RedriveOptionsError(`${name} must be an ISO 8601 time, got ${JSON.stringify(value)}`);
  return d;
}

function optionalPositiveInt(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new RedriveOptionsError(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Validates a request: `{ from, errorTypes?, since?, until?, max?, dryRun?, maxRedrives?, groupId? }`.
 * `errorTypes` is an array or a comma-separated string. Throws `RedriveOptionsError` with a message for the operator.
 */
export function parseRedriveRequest(input: unknown): RedriveRequest {
  if (input === null || typeof input !== 'object') throw new RedriveOptionsError('the request must be a JSON object');
  const o = input as Record<string, unknown>;
  const known = new Set(['from', 'errorTypes', 'since', 'until', 'max', 'dryRun', 'maxRedrives', 'groupId']);
  const unknownKeys = Object.keys(o).filter((k) => !known.has(k));
  if (unknownKeys.length > 0) throw new RedriveOptionsError(`unknown option(s): ${unknownKeys.join(', ')}`);
  if (o.from !== 'error' && o.from !== 'on-failure')
    throw new RedriveOptionsError('from must be "error" or "on-failure"');
  let errorTypes: string[] | undefined;
  if (typeof o.errorTypes === 'string')
    errorTypes = o.errorTypes
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  else if (Array.isArray(o.errorTypes) && o.errorTypes.every((t) => typeof t === 'string'))
    errorTypes = o.errorTypes as string[];
  else if (o.errorTypes !== undefined) throw new RedriveOptionsError('errorTypes must be a list of error types');
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean')
    throw new RedriveOptionsError('dryRun must be true or false');
  if (o.groupId !== undefined && (typeof o.groupId !== 'string' || o.groupId.trim() === ''))
    throw new RedriveOptionsError('groupId must be a name');
  const since = optionalDate(o.since, 'since');
  const until = optionalDate(o.until, 'until');
  if (since && until && since > until) throw new RedriveOptionsError('since is after until');
  return {
    from: o.from,
    errorTypes: errorTypes && errorTypes.length > 0 ? errorTypes : undefined,
    since,
    until,
    max: optionalPositiveInt(o.max, 'max', 1),
    maxRedrives: optionalPositiveInt(o.maxRedrives, 'maxRedrives', 0),
    dryRun: o.dryRun === true,
    groupId: typeof o.groupId === 'string' ? o.groupId.trim() : undefined,
  };
}

export interface RedriveTopics {
  readonly input: string;
  readonly error: string;
  readonly onFailure: string;
}

/**
 * The redrive's topics, prefixed by `KAFKA_TOPIC_PREFIX` (`INPUT_TOPIC`, `ERROR_TOPIC`, `ON_FAILURE_TOPIC`),
 * and its consumer groups' prefix (`REDRIVE_GROUP_PREFIX`), from settings read once at start.
 */
export function redriveTopicsFrom(
  s: Pick<
    SettingValues,
    'KAFKA_TOPIC_PREFIX' | 'INPUT_TOPIC' | 'ERROR_TOPIC' | 'ON_FAILURE_TOPIC' | 'REDRIVE_GROUP_PREFIX'
  >,
): RedriveTopics & { groupPrefix: string } {
  return {
    groupPrefix: s.REDRIVE_GROUP_PREFIX,
    input: prefixedTopic(s.KAFKA_TOPIC_PREFIX, s.INPUT_TOPIC),
    error: prefixedTopic(s.KAFKA_TOPIC_PREFIX, s.ERROR_TOPIC),
    onFailure: prefixedTopic(s.KAFKA_TOPIC_PREFIX, s.ON_FAILURE_TOPIC),
  };
}
