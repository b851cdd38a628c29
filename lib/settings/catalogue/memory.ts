/** The catalogue's memory settings (issue 25): how much fetched content one invocation holds. */
import { integer, type SettingValue } from '../setting.js';

/**
 * Share of the function's memory that fetched content may take (`CONTENT_BUDGET_BYTES`' default). The
 * rest holds the runtime and the working copies of the content in flight: response bytes, parsed
 * strings (two bytes a character outside Latin-1), the output JSON and the produce request. The bench's
 * worst-case row (100 revisions of ~2 MiB at 512 MB) is what chose it: docs/performance.md.
 */
export const CONTENT_BUDGET_SHARE_OF_MEMORY = 1 / 8;

/** Function memory assumed where `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` is unset (local tools, tests), MB. */
export const CONTENT_BUDGET_MEMORY_MB_OUTSIDE_LAMBDA = 512;

function contentBudgetMiB(memoryMb: number): number {
  return memoryMb * CONTENT_BUDGET_SHARE_OF_MEMORY;
}

export const MEMORY_SETTINGS = {
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: integer({
    default: undefined,
    defaultDoc: `set by Lambda (${CONTENT_BUDGET_MEMORY_MB_OUTSIDE_LAMBDA} assumed where unset)`,
    min: 128,
    max: 10_240,
    scope: 'lambda',
    doc: "The function's memory, MB: `CONTENT_BUDGET_BYTES` derives from it.",
  }),
  CONTENT_BUDGET_BYTES: integer({
    default: undefined,
    defaultDoc: `1/${1 / CONTENT_BUDGET_SHARE_OF_MEMORY} of the function's memory (${contentBudgetMiB(512)} MiB at 512 MB)`,
    min: 1,
    doc:
      'Most fetched revision content one invocation holds, bytes: a batch is fetched in windows of revisions whose ' +
      "events' `content_size` sum to at most this, each produced and released before the next; a larger revision " +
      'is fetched alone.',
  }),
} as const;

type MemoryValues = { readonly [K in keyof typeof MEMORY_SETTINGS]: SettingValue<(typeof MEMORY_SETTINGS)[K]> };

/** `CONTENT_BUDGET_BYTES`, or its default from the function's memory. */
export function contentBudgetBytes(s: MemoryValues): number {
  const memoryMb = s.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? CONTENT_BUDGET_MEMORY_MB_OUTSIDE_LAMBDA;
  return s.CONTENT_BUDGET_BYTES ?? Math.floor(contentBudgetMiB(memoryMb) * 1024 * 1024);
}
