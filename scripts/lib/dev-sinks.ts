/** Sinks for local tools and tests (files, memory); the function itself produces to Kafka (lib/pipeline/kafka-sink.ts). */
import { appendFile } from 'node:fs/promises';
import type { EventSink, OutboundMessage, StreamKind } from '../../lib/pipeline/sink.js';

/** Writes JSON lines to files: enriched events to one, error events to the other. Used by local invoke. */
export function fileSink(paths: { output: string; error: string }): EventSink {
  return {
    async send(messages) {
      const lines: Record<StreamKind, string[]> = { output: [], error: [] };
      for (const m of messages) lines[m.kind].push(m.value);
      if (lines.output.length > 0) await appendFile(paths.output, `${lines.output.join('\n')}\n`);
      if (lines.error.length > 0) await appendFile(paths.error, `${lines.error.join('\n')}\n`);
      return { failed: new Set() };
    },
  };
}

/** Keeps messages in memory; tests inspect `messages`. */
export function memorySink(): EventSink & { messages: OutboundMessage[] } {
  const messages: OutboundMessage[] = [];
  return {
    messages,
    async send(batch) {
      // Values are read now, once, as a real sink does: the pipeline releases content after sending.
      messages.push(...batch.map((m) => ({ ...m })));
      return { failed: new Set() };
    },
  };
}
