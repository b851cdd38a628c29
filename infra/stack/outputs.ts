/**
 * The stack's outputs: what the deployed function does that the operator cannot see in the template's resources.
 */
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type { ResolvedPipelineConfig } from '../config/config.ts';

/**
 * `EventSchemaBaseUris`: the schema repositories (`EVENT_SCHEMA_BASE_URIS`, tried in order) the enrichment function
 * fetches an output schema version the bundle lacks from, as the function reads the setting (its catalogue default,
 * Wikimedia's primary repository, when the environment leaves it unset; the setting cannot be empty, so resolution
 * is never off: without egress to these, materialize the versions offline, docs/output-schema.md).
 */
export function pipelineOutputs(stack: Stack, config: ResolvedPipelineConfig): void {
  const given = 'EVENT_SCHEMA_BASE_URIS' in config.functionSettingsEnvironment;
  new CfnOutput(stack, 'EventSchemaBaseUris', {
    value: config.settings.EVENT_SCHEMA_BASE_URIS.join(','),
    description:
      'EVENT_SCHEMA_BASE_URIS: schema repositories the enrichment function fetches output schema versions the ' +
      `bundle lacks from, in order (${given ? 'set by the environment' : 'default'}; needs HTTPS egress to them)`,
  });
}
