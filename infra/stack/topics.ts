import { prefixed, type ResolvedPipelineConfig } from '../config/config.ts';

/** The effective (prefixed) Kafka topics of the pipeline. */
export interface PipelineTopics {
  readonly input: string;
  readonly output: string;
  readonly error: string;
  /** With a Kafka on-failure destination only. */
  readonly onFailure?: string;
}

export function pipelineTopics(config: ResolvedPipelineConfig): PipelineTopics {
  return {
    input: prefixed(config, config.inputTopic),
    output: prefixed(config, config.outputTopic),
    error: prefixed(config, config.errorTopic),
    onFailure: config.onFailureDestination === 'kafka' ? prefixed(config, config.onFailureTopic) : undefined,
  };
}
