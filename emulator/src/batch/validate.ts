/**
 * CreateModelInvocationJob and ListModelInvocationJobs input checks, with the constraints of the Bedrock
 * service model (botocore `bedrock/2023-04-20/service-2.json`): lengths, patterns, ranges and enums are
 * reported in the service framework's form (`N validation errors detected: Value '…' at '…' failed to
 * satisfy constraint: …`), all violations at once. Pure functions: no state, no I/O.
 */

import type { ConstraintViolation } from '../errors.js';
import { constraintException, validationException } from '../errors.js';
import { type InvocationType, JOB_STATUSES, type JobStatus } from './types.js';

/** Service-model patterns (anchored here; the service matches the whole value). */
export const PATTERNS = {
  jobName: '[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}',
  roleArn: 'arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+',
  clientRequestToken: '[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}',
  s3Uri: "s3://[a-z0-9][-.a-z0-9]{1,61}(?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?",
  accountId: '[0-9]{12}',
  kmsKeyId:
    '(arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)',
  subnetId: '[-0-9a-zA-Z]+',
  securityGroupId: '[-0-9a-zA-Z]+',
  tagKey: '[a-zA-Z0-9\\s._:/=+@-]*',
  tagValue: '[a-zA-Z0-9\\s._:/=+@-]*',
  jobIdentifier: '((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})',
  paginationToken: '\\S*',
} as const;

const COMPILED = Object.fromEntries(Object.entries(PATTERNS).map(([k, v]) => [k, new RegExp(`^(?:${v})$`)])) as Record<
  keyof typeof PATTERNS,
  RegExp
>;

/** Matches a whole value against a service-model pattern. */
export function matchesPattern(name: keyof typeof PATTERNS, value: string): boolean {
  return COMPILED[name].test(value);
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly violations: ConstraintViolation[] = [];

  string(
    value: unknown,
    path: string,
    rule: { required?: boolean; min?: number; max?: number; pattern?: keyof typeof PATTERNS; enum?: readonly string[] },
  ): string | undefined {
    if (value === undefined || value === null) {
      if (rule.required) this.violations.push({ path, value: null, constraint: 'Member must not be null' });
      return undefined;
    }
    if (typeof value !== 'string') {
      throw validationException(`Invalid type for '${path}': expected a string.`);
    }
    const before = this.violations.length;
    if (rule.min !== undefined && value.length < rule.min) {
      this.violations.push({ path, value, constraint: `Member must have length greater than or equal to ${rule.min}` });
    }
    if (rule.max !== undefined && value.length > rule.max) {
      this.violations.push({ path, value, constraint: `Member must have length less than or equal to ${rule.max}` });
    }
    if (rule.pattern && !matchesPattern(rule.pattern, value)) {
      this.violations.push({
        path,
        value,
        constraint: `Member must satisfy regular expression pattern: ${PATTERNS[rule.pattern]}`,
      });
    }
    if (rule.enum && !rule.enum.includes(value)) {
      this.violations.push({
        path,
        value,
        constraint: `Member must satisfy enum value set: [${rule.enum.join(', ')}]`,
      });
    }
    return this.violations.length === before ? value : undefined;
  }

  integer(value: unknown, path: string, min: number, max: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw validationException(`Invalid type for '${path}': expected an integer.`);
    }
    if (value < min)
      this.violations.push({
        path,
        value: String(value),
        constraint: `Member must have value greater than or equal to ${min}`,
      });
    else if (value > max)
      this.violations.push({
        path,
        value: String(value),
        constraint: `Member must have value less than or equal to ${max}`,
      });
    else return value;
    return undefined;
  }

  list(value: unknown, path: string, min: number, max: number): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw validationException(`Invalid type for '${path}': expected a list.`);
    if (value.length < min)
      this.violations.push({
        path,
        value: null,
        constraint: `Member must have length greater than or equal to ${min}`,
      });
    if (value.length > max)
      this.violations.push({ path, value: null, constraint: `Member must have length less than or equal to ${max}` });
    return value;
  }

  object(value: unknown, path: string, required: boolean): Obj | undefined {
    if (value === undefined || value === null) {
      if (required) this.violations.push({ path, value: null, constraint: 'Member must not be null' });
      return undefined;
    }
    if (!isObj(value)) throw validationException(`Invalid type for '${path}': expected a structure.`);
    return value;
  }

  finish(): void {
    if (this.violations.length > 0) throw constraintException(this.violations);
  }
}

/** A CreateModelInvocationJob body after the shape checks (model support is checked by the caller). */
export interface CreateJobInput {
  readonly jobName: string;
  readonly roleArn: string;
  readonly modelId: string;
  readonly clientRequestToken: string | undefined;
  readonly inputDataConfig: { s3InputDataConfig: { s3Uri: string; s3InputFormat?: string; s3BucketOwner?: string } };
  readonly outputDataConfig: {
    s3OutputDataConfig: { s3Uri: string; s3EncryptionKeyId?: string; s3BucketOwner?: string };
  };
  readonly vpcConfig: { subnetIds: string[]; securityGroupIds: string[] } | undefined;
  readonly timeoutDurationInHours: number;
  readonly modelInvocationType: InvocationType;
  readonly tags: Array<{ key: string; value: string }>;
}

/** Default job timeout (the service's default is the maximum window, 24 hours). */
export const DEFAULT_TIMEOUT_HOURS = 24;

/** Checks a CreateModelInvocationJob body; throws the ValidationException Bedrock would send. */
export function parseCreateJobInput(body: unknown): CreateJobInput {
  if (!isObj(body)) throw validationException('Malformed input request, please reformat your input and try again.');
  const c = new Checker();
  const jobName = c.string(body.jobName, 'jobName', { required: true, min: 1, max: 63, pattern: 'jobName' });
  const roleArn = c.string(body.roleArn, 'roleArn', { required: true, min: 0, max: 2048, pattern: 'roleArn' });
  const modelId = c.string(body.modelId, 'modelId', { required: true, min: 1, max: 2048 });
  const token = c.string(body.clientRequestToken, 'clientRequestToken', {
    min: 1,
    max: 256,
    pattern: 'clientRequestToken',
  });
  const input = c.object(body.inputDataConfig, 'inputDataConfig', true);
  const s3In = input ? c.object(input.s3InputDataConfig, 'inputDataConfig.s3InputDataConfig', true) : undefined;
  const inUri = s3In
    ? c.string(s3In.s3Uri, 'inputDataConfig.s3InputDataConfig.s3Uri', {
        required: true,
        min: 1,
        max: 1024,
        pattern: 's3Uri',
      })
    : undefined;
  const inFormat = s3In
    ? c.string(s3In.s3InputFormat, 'inputDataConfig.s3InputDataConfig.s3InputFormat', { enum: ['JSONL'] })
    : undefined;
  const inOwner = s3In
    ? c.string(s3In.s3BucketOwner, 'inputDataConfig.s3InputDataConfig.s3BucketOwner', { pattern: 'accountId' })
    : undefined;
  const output = c.object(body.outputDataConfig, 'outputDataConfig', true);
  const s3Out = output ? c.object(output.s3OutputDataConfig, 'outputDataConfig.s3OutputDataConfig', true) : undefined;
  const outUri = s3Out
    ? c.string(s3Out.s3Uri, 'outputDataConfig.s3OutputDataConfig.s3Uri', {
        required: true,
        min: 1,
        max: 1024,
        pattern: 's3Uri',
      })
    : undefined;
  const kms = s3Out
    ? c.string(s3Out.s3EncryptionKeyId, 'outputDataConfig.s3OutputDataConfig.s3EncryptionKeyId', {
        min: 1,
        max: 2048,
        pattern: 'kmsKeyId',
      })
    : undefined;
  const outOwner = s3Out
    ? c.string(s3Out.s3BucketOwner, 'outputDataConfig.s3OutputDataConfig.s3BucketOwner', { pattern: 'accountId' })
    : undefined;
  const timeout = c.integer(body.timeoutDurationInHours, 'timeoutDurationInHours', 24, 168);
  const invocationType = c.string(body.modelInvocationType, 'modelInvocationType', {
    enum: ['InvokeModel', 'Converse'],
  });
  let vpcConfig: CreateJobInput['vpcConfig'];
  const vpc = c.object(body.vpcConfig, 'vpcConfig', false);
  if (vpc) {
    const subnets = c.list(vpc.subnetIds, 'vpcConfig.subnetIds', 1, 16);
    const groups = c.list(vpc.securityGroupIds, 'vpcConfig.securityGroupIds', 1, 5);
    if (subnets === undefined)
      c.violations.push({ path: 'vpcConfig.subnetIds', value: null, constraint: 'Member must not be null' });
    if (groups === undefined) {
      c.violations.push({ path: 'vpcConfig.securityGroupIds', value: null, constraint: 'Member must not be null' });
    }
    for (const [i, s] of (subnets ?? []).entries()) {
      c.string(s, `vpcConfig.subnetIds.${i}`, { max: 32, pattern: 'subnetId' });
    }
    for (const [i, s] of (groups ?? []).entries()) {
      c.string(s, `vpcConfig.securityGroupIds.${i}`, { max: 32, pattern: 'securityGroupId' });
    }
    vpcConfig = { subnetIds: (subnets ?? []) as string[], securityGroupIds: (groups ?? []) as string[] };
  }
  const tags: Array<{ key: string; value: string }> = [];
  (c.list(body.tags, 'tags', 0, 200) ?? []).forEach((t, i) => {
    const tag = c.object(t, `tags.${i}`, true);
    if (!tag) return;
    const key = c.string(tag.key, `tags.${i}.key`, { required: true, min: 1, max: 128, pattern: 'tagKey' });
    const value = c.string(tag.value, `tags.${i}.value`, { required: true, min: 0, max: 256, pattern: 'tagValue' });
    if (key !== undefined && value !== undefined) tags.push({ key, value });
  });
  c.finish();
  const s3InputDataConfig: CreateJobInput['inputDataConfig']['s3InputDataConfig'] = { s3Uri: inUri ?? '' };
  if (inFormat !== undefined) s3InputDataConfig.s3InputFormat = inFormat;
  if (inOwner !== undefined) s3InputDataConfig.s3BucketOwner = inOwner;
  const s3OutputDataConfig: CreateJobInput['outputDataConfig']['s3OutputDataConfig'] = { s3Uri: outUri ?? '' };
  if (kms !== undefined) s3OutputDataConfig.s3EncryptionKeyId = kms;
  if (outOwner !== undefined) s3OutputDataConfig.s3BucketOwner = outOwner;
  return {
    jobName: jobName ?? '',
    roleArn: roleArn ?? '',
    modelId: modelId ?? '',
    clientRequestToken: token,
    inputDataConfig: { s3InputDataConfig },
    outputDataConfig: { s3OutputDataConfig },
    vpcConfig,
    timeoutDurationInHours: timeout ?? DEFAULT_TIMEOUT_HOURS,
    modelInvocationType: (invocationType as InvocationType | undefined) ?? 'InvokeModel',
    tags,
  };
}

/** ListModelInvocationJobs query parameters after their checks. */
export interface ListJobsInput {
  readonly submitTimeAfter: number | undefined;
  readonly submitTimeBefore: number | undefined;
  readonly statusEquals: JobStatus | undefined;
  readonly nameContains: string | undefined;
  readonly maxResults: number;
  readonly nextToken: string | undefined;
  readonly sortOrder: 'Ascending' | 'Descending';
}

function timestamp(value: string | undefined, path: string): number | undefined {
  if (value === undefined) return undefined;
  // rest-json query timestamps are ISO-8601 (the SDKs send e.g. 2025-01-31T12:00:00.000Z); epoch seconds too.
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (Number.isNaN(ms)) throw validationException(`Invalid value for '${path}': not a timestamp.`);
  return ms;
}

/** Checks ListModelInvocationJobs query parameters. */
export function parseListJobsInput(query: Readonly<Record<string, string | string[]>>): ListJobsInput {
  const one = (name: string): string | undefined => {
    const v = query[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const c = new Checker();
  const status = c.string(one('statusEquals'), 'statusEquals', { enum: JOB_STATUSES });
  const name = c.string(one('nameContains'), 'nameContains', { min: 1, max: 63, pattern: 'jobName' });
  const token = c.string(one('nextToken'), 'nextToken', { min: 1, max: 2048, pattern: 'paginationToken' });
  c.string(one('sortBy'), 'sortBy', { enum: ['CreationTime'] });
  const order = c.string(one('sortOrder'), 'sortOrder', { enum: ['Ascending', 'Descending'] });
  const maxText = one('maxResults');
  let maxResults: number | undefined;
  if (maxText !== undefined) {
    if (!/^-?\d+$/.test(maxText)) throw validationException(`Invalid value for 'maxResults': not an integer.`);
    maxResults = c.integer(Number(maxText), 'maxResults', 1, 1000);
  }
  c.finish();
  return {
    submitTimeAfter: timestamp(one('submitTimeAfter'), 'submitTimeAfter'),
    submitTimeBefore: timestamp(one('submitTimeBefore'), 'submitTimeBefore'),
    statusEquals: status as JobStatus | undefined,
    nameContains: name,
    maxResults: maxResults ?? 1000,
    nextToken: token,
    // The service lists newest first unless asked otherwise.
    sortOrder: (order as 'Ascending' | 'Descending' | undefined) ?? 'Descending',
  };
}
