/**
 * The batch inference operations of the Bedrock control plane (bedrock-wire.md §7), as
 * `@aws-sdk/client-bedrock` sends them: CreateModelInvocationJob `POST /model-invocation-job`,
 * GetModelInvocationJob `GET /model-invocation-job/{jobIdentifier}`, ListModelInvocationJobs
 * `GET /model-invocation-jobs`, StopModelInvocationJob `POST /model-invocation-job/{jobIdentifier}/stop`.
 */

import { parseJsonBody } from '../call.js';
import type { ControlPlaneRoute } from '../control-plane/index.js';
import { sendJson } from '../reply.js';
import { parseAuthorization } from '../sigv4.js';
import { parseCreateJobInput, parseListJobsInput } from './validate.js';

/** The region a SigV4-signed request was scoped to (the job ARN's region); undefined for API keys. */
function signedRegion(authorization: string | undefined): string | undefined {
  if (!authorization?.startsWith('AWS4-HMAC-SHA256')) return undefined;
  try {
    return parseAuthorization(authorization).region;
  } catch {
    return undefined;
  }
}

function decodeLabel(label: string): string {
  try {
    // The SDKs percent-encode the label once (an ARN's `:` and `/`); decode exactly once.
    return decodeURIComponent(label);
  } catch {
    return label;
  }
}

export const BATCH_ROUTES: readonly ControlPlaneRoute[] = [
  {
    operation: 'CreateModelInvocationJob',
    method: 'POST',
    path: /^\/model-invocation-job$/,
    handle: ({ state, ctx }) => {
      const input = parseCreateJobInput(parseJsonBody(ctx.body));
      const job = state.batch.create(input, signedRegion(ctx.headers.authorization));
      sendJson(ctx, 200, { jobArn: job.arn });
    },
  },
  {
    operation: 'ListModelInvocationJobs',
    method: 'GET',
    path: /^\/model-invocation-jobs$/,
    handle: ({ state, ctx }) => {
      const { jobs, nextToken } = state.batch.list(parseListJobsInput(ctx.query));
      const body: Record<string, unknown> = { invocationJobSummaries: jobs.map((j) => state.batch.describe(j)) };
      if (nextToken !== undefined) body.nextToken = nextToken;
      sendJson(ctx, 200, body);
    },
  },
  {
    operation: 'GetModelInvocationJob',
    method: 'GET',
    path: /^\/model-invocation-job\/([^/]+)$/,
    handle: ({ state, ctx, match }) => {
      sendJson(ctx, 200, state.batch.describe(state.batch.get(decodeLabel(match[1] ?? ''))));
    },
  },
  {
    operation: 'StopModelInvocationJob',
    method: 'POST',
    path: /^\/model-invocation-job\/([^/]+)\/stop$/,
    handle: ({ state, ctx, match }) => {
      state.batch.stop(decodeLabel(match[1] ?? ''));
      sendJson(ctx, 200, {});
    },
  },
];
