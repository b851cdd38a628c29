/**
 * Default topic names, unprefixed (`KAFKA_TOPIC_PREFIX` is prepended), each written only here: the
 * runtime, the stack (infra/config), the local tools and the tests import them. The enriched and
 * error events' `meta.stream` defaults are the output and error topics' names.
 */
export const DEFAULT_TOPICS = {
  /** Wikimedia's `mediawiki.page_change.v1` stream: what the event source mapping reads. */
  input: 'mediawiki.page_change.v1',
  /** Enriched events. */
  output: 'mediawiki.page_content_change.v1',
  /** Error events: what the function could not enrich. */
  error: 'mw_page_content_change_enrich.error',
  /**
   * Records Lambda gave up on ("Using a Kafka topic as an on-failure destination",
   * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html).
   */
  onFailure: 'mw_page_content_change_enrich.on_failure',
} as const;
