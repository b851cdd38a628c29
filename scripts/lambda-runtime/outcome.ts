/**
 * What an invocation through the emulator came to, read as Lambda reads it, and the REPORT line Lambda writes for it.
 * Pure functions: the sandbox (sandbox.ts) feeds them the emulator's answer and what the kernel said.
 *
 * - A handler that throws is a function error: the Runtime API's /invocation/error document (errorType,
 *   errorMessage, trace) is the response ("Using the Lambda runtime API for custom runtimes",
 *   https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), and the sandbox stays warm.
 * - A runtime the kernel killed at the memory size is `Runtime.OutOfMemory`, one that ran past the timeout is a
 *   timeout: the Telemetry API reports both as failed invocations with those causes (platform.runtimeDone /
 *   platform.report `status` "error" with `errorType`, or "timeout": "Lambda Telemetry API Event schema reference",
 *   https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html), and either ends the sandbox.
 * - The REPORT line carries Duration, Billed Duration (rounded up to the millisecond), Memory Size, Max Memory Used
 *   and, on a cold start, Init Duration ("Working with Lambda function logs" > REPORT,
 *   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-logs.html).
 */

export type OutcomeKind = 'success' | 'function-error' | 'out-of-memory' | 'timeout' | 'runtime-exit';

export interface InvocationOutcome {
  readonly kind: OutcomeKind;
  /** The invocation's response payload: the handler's result, or Lambda's error document. */
  readonly payload: string;
  /** `errorType` of a failed invocation. */
  readonly errorType?: string;
  /** Whether the sandbox survives (a function error keeps it; a kill, a timeout or an exit end it). */
  readonly sandboxSurvives: boolean;
}

/** The emulator's answer to one invocation and what the kernel's memory cgroup saw meanwhile. */
export interface EmulatorAnswer {
  readonly requestId: string;
  readonly status: number;
  readonly body: string;
  /** The cgroup's OOM killer killed a process during the invocation. */
  readonly oomKilled: boolean;
}

const TIMED_OUT = /^Task timed out after ([\d.]+) seconds$/;

function errorDocument(body: string): { errorType?: unknown; errorMessage?: unknown } | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'errorType' in parsed) {
      return parsed as { errorType?: unknown; errorMessage?: unknown };
    }
  } catch {
    // not JSON: a handler's result that is not an error document, or the emulator's timeout text
  }
  return undefined;
}

/** Reads the emulator's answer as Lambda reports the invocation. */
export function outcomeOf(answer: EmulatorAnswer): InvocationOutcome {
  const { requestId, status, body } = answer;
  const timedOut = TIMED_OUT.exec(body.trim());
  if (timedOut) {
    const errorType = 'Sandbox.Timedout';
    const errorMessage = `RequestId: ${requestId} Error: Task timed out after ${Number(timedOut[1]).toFixed(2)} seconds`;
    return { kind: 'timeout', payload: JSON.stringify({ errorType, errorMessage }), errorType, sandboxSurvives: false };
  }
  if (answer.oomKilled) {
    const errorType = 'Runtime.OutOfMemory';
    const errorMessage = `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`;
    return {
      kind: 'out-of-memory',
      payload: JSON.stringify({ errorType, errorMessage }),
      errorType,
      sandboxSurvives: false,
    };
  }
  const error = errorDocument(body);
  if (status >= 500 || (error && String(error.errorType).startsWith('Runtime.'))) {
    const errorType = typeof error?.errorType === 'string' ? error.errorType : 'Runtime.ExitError';
    const payload = error ? body : JSON.stringify({ errorType, errorMessage: `RequestId: ${requestId} ${body}` });
    return { kind: 'runtime-exit', payload, errorType, sandboxSurvives: false };
  }
  if (error) {
    return { kind: 'function-error', payload: body, errorType: String(error.errorType), sandboxSurvives: true };
  }
  return { kind: 'success', payload: body, sandboxSurvives: true };
}

/** What the REPORT line says about one invocation. */
export interface InvocationReport {
  readonly requestId: string;
  readonly durationMs: number;
  /** Set on the invocation that started the sandbox (a cold start). */
  readonly initDurationMs?: number;
  readonly memorySizeMb: number;
  /** Peak memory during the invocation; undefined when nothing measured it. */
  readonly maxMemoryUsedMb?: number;
  /** Where the peak comes from: the sandbox's memory cgroup or the runtime process's peak resident set. */
  readonly memorySource?: 'cgroup' | 'process';
  /** `timeout` or `error` for a failed invocation, as the Telemetry API's platform.report status. */
  readonly status?: 'timeout' | 'error';
  readonly errorType?: string;
}

/** Lambda's REPORT line for `report` (tab-separated fields, as in CloudWatch Logs). */
export function reportLine(report: InvocationReport): string {
  const fields = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${Math.max(1, Math.ceil(report.durationMs))} ms`,
    `Memory Size: ${report.memorySizeMb} MB`,
    `Max Memory Used: ${report.maxMemoryUsedMb === undefined ? 'unknown' : report.maxMemoryUsedMb} MB`,
  ];
  if (report.initDurationMs !== undefined) fields.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  if (report.status) fields.push(`Status: ${report.status}`);
  if (report.errorType) fields.push(`Error Type: ${report.errorType}`);
  return fields.join('\t');
}

/** Megabytes as Lambda counts them in REPORT (MiB, rounded up). */
export function megabytes(bytes: number): number {
  return Math.ceil(bytes / (1024 * 1024));
}

/** The emulator's own log lines (rapid, on its stderr) that carry timings: init and runtime-done durations. */
export function rapidTiming(line: string): { initDurationMs?: number; invokeDurationMs?: number } | undefined {
  const init = /INIT REPORT\(durationMs: ([\d.]+)\)/.exec(line);
  if (init) return { initDurationMs: Number(init[1]) };
  const done = /INVOKE RTDONE\(status: \w+, produced bytes: \d+, duration: ([\d.]+)ms\)/.exec(line);
  if (done) return { invokeDurationMs: Number(done[1]) };
  return undefined;
}
