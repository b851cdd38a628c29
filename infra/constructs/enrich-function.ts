import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionBundleCode, PROJECT_ROOT } from './function-bundle.ts';

export { ESM_REQUIRE_BANNER, PROJECT_ROOT } from './function-bundle.ts';

/** Default handler entry of the enrichment function. */
export const DEFAULT_ENRICH_ENTRY = join(PROJECT_ROOT, 'functions', 'page-content-change-enrich', 'handler.ts');

/**
 * NODE_OPTIONS of the project's functions: none. `--enable-source-maps` cost about 10 ms CPU of every cold start
 * (bench, Lambda path: 128 ms with it against the 120 ms target) and makes each `Error.stack` read resolve the map,
 * while every error event carries a stack. The linked `index.mjs.map` ships beside the code, so a logged stack can
 * still be mapped offline; set `--enable-source-maps` through the function's environment to trade that back.
 */
export const FUNCTION_NODE_OPTIONS = '';

/** How a Node.js function of this project is packaged. */
export interface NodeFunctionCodeProps {
  /**
   * TypeScript entry bundled by esbuild (local esbuild, no Docker).
   * @default - the construct's own default entry
   */
  readonly entry?: string;
  /**
   * Pre-built code instead of bundling `entry`, e.g. `Code.fromInline(...)` in unit tests.
   * The handler is then `index.handler`.
   * @default - `entry` is bundled
   */
  readonly code?: lambda.Code;
}

/**
 * Creates a Node.js 22 arm64 function, bundled by esbuild as minified ESM with source maps and lazily
 * loaded chunks (see `function-bundle.ts`). Shared by the enrichment function and the topic provisioner.
 */
export function createNodeFunction(
  scope: Construct,
  id: string,
  props: NodeFunctionCodeProps & Omit<lambda.FunctionOptions, 'runtime' | 'architecture'> & { readonly entry: string },
): lambda.Function {
  const { entry, code, ...options } = props;
  const nodeOptions: Record<string, string> = FUNCTION_NODE_OPTIONS ? { NODE_OPTIONS: FUNCTION_NODE_OPTIONS } : {};
  return new lambda.Function(scope, id, {
    ...options,
    architecture: lambda.Architecture.ARM_64,
    // Node.js 24 is the newest managed Node.js runtime ("Lambda runtimes",
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html); tests, tools and benchmarks run on the same
    // major (the `node` devDependency), so the runtime that is tested is the runtime that is deployed.
    runtime: lambda.Runtime.NODEJS_24_X,
    code: code ?? functionBundleCode(entry),
    handler: 'index.handler',
    environment: { ...nodeOptions, ...options.environment },
  });
}

/** What {@link createOwnedFunction} needs beyond the code: the shared shape of the project's operated functions. */
export interface OwnedFunctionProps {
  readonly entry: string;
  readonly code?: lambda.Code;
  readonly description: string;
  /** Description of the execution role. */
  readonly roleDescription: string;
  readonly environment: Record<string, string>;
  readonly functionName?: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly reservedConcurrentExecutions?: number;
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;
  readonly logRetention?: logs.RetentionDays;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A function with an execution role of its own that starts empty (the function only sees an immutable
 * view; the stack adds least-privilege statements), a retained log group only it writes to, JSON logs,
 * and VPC wiring without public subnets. Used by the enrichment and the redrive functions.
 */
export function createOwnedFunction(
  scope: Construct,
  props: OwnedFunctionProps,
): { function: lambda.Function; role: iam.Role; logGroup: logs.LogGroup } {
  const role = new iam.Role(scope, 'ExecutionRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  const fn = createNodeFunction(scope, 'Function', {
    entry: props.entry,
    code: props.code,
    description: props.description,
    functionName: props.functionName,
    memorySize: props.memorySize,
    timeout: props.timeout,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    environment: props.environment,
    role: role.withoutPolicyUpdates(),
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: props.applicationLogLevel ?? lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    vpc: props.vpc,
    vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
    securityGroups: props.vpc ? props.securityGroups : undefined,
    allowPublicSubnet: false,
  });
  return { function: fn, role, logGroup };
}

/** Properties of {@link EnrichFunction}. */
export interface EnrichFunctionProps extends NodeFunctionCodeProps {
  /**
   * Environment variables read by the handler (see `functionEnvironment()` in the stack).
   */
  readonly environment: Record<string, string>;
  /**
   * Function name.
   * @default - generated by CloudFormation
   */
  readonly functionName?: string;
  /**
   * Memory in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrent executions.
   * @default - none
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Log level of the Lambda JSON log format (the handler logs through Powertools with `LOG_LEVEL`).
   * @default lambda.ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * VPC of the brokers. The function runs in it to produce to Kafka; the subnets need a NAT route
   * for the MediaWiki API.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of the function.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the function.
   * @default - none (required with `vpc`)
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * The enrichment Lambda function: consumes `mediawiki.page_change` batches, fetches revision content
 * from the MediaWiki Action API, produces enriched and error events with kafkajs.
 *
 * Its execution role starts empty and is immutable for other constructs: every permission is declared
 * through {@link EnrichFunction.addToRolePolicy} by the stack (least privilege). L2 conveniences that
 * would otherwise attach broad policies are ignored on purpose - notably `ManagedKafkaEventSource`
 * attaches the AWS managed `AWSLambdaMSKExecutionRole` (kafka:DescribeCluster, kafka:GetBootstrapBrokers and
 * ec2 ENI actions on `*`) and grants secrets implicitly.
 */
export class EnrichFunction extends Construct {
  /** The function. */
  public readonly function: lambda.Function;
  /** The execution role (mutable; the function itself only sees an immutable view). */
  public readonly role: iam.Role;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EnrichFunctionProps) {
    super(scope, id);
    ({
      function: this.function,
      role: this.role,
      logGroup: this.logGroup,
    } = createOwnedFunction(this, {
      ...props,
      entry: props.entry ?? DEFAULT_ENRICH_ENTRY,
      description: 'Enriches mediawiki.page_change events with revision content from the MediaWiki Action API',
      roleDescription:
        'Execution role of the page-content-change enrichment function (explicit, least-privilege policies)',
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(2),
    }));
  }

  /** Adds a statement to the execution role. */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }
}
