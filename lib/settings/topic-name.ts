/**
 * The one topic-prefix rule of the project: a topic setting (`INPUT_TOPIC`, `OUTPUT_TOPIC`, … or the stack's
 * `inputTopic`, …) is a name without the prefix, and the Kafka topic is `KAFKA_TOPIC_PREFIX` + that name, always.
 * The functions, the tools and the stack (the topics it provisions, grants and maps) all name topics here, so
 * they agree even when the prefix is also the start of a name (`mediawiki.` + `mediawiki.page_change.v1`).
 */
export function prefixedTopic(prefix: string, name: string): string {
  return `${prefix}${name}`;
}
