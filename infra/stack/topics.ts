import { prefixedTopic } from '../../lib/settings/topic-name.js';
import type { ResolvedPipelineConfig } from '../config/config.ts';

/** The effective (prefixed) Kafka topics of the pipeline, by the functions' rule (`prefixedTopic`). */
export interface PipelineTopics {
  readonly input: string;
  readonly output: string;
  readonly error: string;
  /** With a Kafka on-failure destination only. */
  readonly onFailure?: string;
}

export function pipelineTopics(config: ResolvedPipelineConfig): PipelineTopics {
  const topic = (name: string) => prefixedTopic(config.kafkaTopicPrefix, name);
  return {
    input: topic(config.inputTopic),
    output: topic(config.outputTopic),
    error: topic(config.errorTopic),
    onFailure: config.onFailureDestination === 'kafka' ? topic(config.onFailureTopic) : undefined,
  };
}
