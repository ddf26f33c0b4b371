/**
 * ListInferenceProfiles (`GET /inference-profiles`) and GetInferenceProfile
 * (`GET /inference-profiles/{inferenceProfileIdentifier}`) from the catalog: every geography a model's
 * `profiles` lists is one system-defined cross-region profile, the same set the runtime accepts as model
 * ids. The emulator has no application inference profiles, so `type=APPLICATION` lists nothing.
 */

import { GEOGRAPHIES, type SystemInferenceProfile, systemInferenceProfiles } from '../catalog.js';
import { BedrockException, constraintException, validationException } from '../errors.js';
import { sendJson } from '../reply.js';
import type { EmulatorState } from '../state.js';
import { foundationModelSummary } from './foundation-models.js';
import type { ControlPlaneRoute } from './index.js';

/** ListInferenceProfiles page size bounds (service model `MaxResults`: 1–1000). */
export const MAX_RESULTS_LIMIT = 1000;
/** When/what the catalog's profiles report as created and updated: a fixed instant keeps replies stable. */
const PROFILE_TIMESTAMP = '2024-08-27T00:00:00Z';
const IDENTIFIER_RE =
  /^(arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):(|[0-9]{12}):(inference-profile|application-inference-profile)\/)?[a-zA-Z0-9-:.]+$/;

function regionOf(state: EmulatorState): string {
  return state.pinnedRegion ?? 'us-east-1';
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The profiles a caller in the emulator's region sees: with a pinned region, those whose geography routes
 * from it (and the global ones), as AWS lists per Region; unpinned, every profile the runtime accepts.
 */
function visibleProfiles(state: EmulatorState): SystemInferenceProfile[] {
  const pinned = state.pinnedRegion;
  return systemInferenceProfiles().filter(
    (p) => pinned === undefined || p.geography === 'global' || GEOGRAPHIES[p.geography]?.regions.includes(pinned),
  );
}

/** An InferenceProfileSummary (also the GetInferenceProfile reply) of a system-defined profile. */
export function inferenceProfileSummary(
  profile: SystemInferenceProfile,
  state: EmulatorState,
): Record<string, unknown> {
  const region = regionOf(state);
  const geography = GEOGRAPHIES[profile.geography];
  const summary = foundationModelSummary(profile.model, region);
  const name = `${geography?.label ?? profile.geography} ${String(summary.providerName)} ${String(summary.modelName)}`;
  // Geography profiles route among their Regions; a global profile routes to any commercial Region and
  // names the caller's Region here.
  const regions = geography && geography.regions.length > 0 ? geography.regions : [region];
  return {
    inferenceProfileName: name,
    description: `Routes requests to ${name} in ${regions.join(', ')}.`,
    createdAt: PROFILE_TIMESTAMP,
    updatedAt: PROFILE_TIMESTAMP,
    inferenceProfileArn: `arn:aws:bedrock:${region}:${state.identity.accountId}:inference-profile/${profile.id}`,
    models: regions.map((r) => ({ modelArn: `arn:aws:bedrock:${r}::foundation-model/${profile.model.id}` })),
    inferenceProfileId: profile.id,
    status: 'ACTIVE',
    type: 'SYSTEM_DEFINED',
  };
}

/** `nextToken` is the position of the next page, opaque to clients. */
function encodeToken(offset: number): string {
  return Buffer.from(`profiles:${offset}`).toString('base64url');
}

function decodeToken(token: string): number {
  const m = /^profiles:(\d{1,6})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw validationException('The provided pagination token is invalid.');
  return Number(m[1]);
}

function parseMaxResults(raw: string | undefined): number {
  if (raw === undefined) return MAX_RESULTS_LIMIT;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw validationException(`Value '${raw}' at 'maxResults' could not be read as an integer.`);
  }
  if (value < 1 || value > MAX_RESULTS_LIMIT) {
    throw constraintException([
      {
        path: 'maxResults',
        value: raw,
        constraint:
          value < 1
            ? 'Member must have value greater than or equal to 1'
            : `Member must have value less than or equal to ${MAX_RESULTS_LIMIT}`,
      },
    ]);
  }
  return value;
}

export const INFERENCE_PROFILE_ROUTES: readonly ControlPlaneRoute[] = [
  {
    operation: 'ListInferenceProfiles',
    method: 'GET',
    path: /^\/inference-profiles$/,
    handle: ({ state, ctx }) => {
      const type = firstValue(ctx.query.type);
      if (type !== undefined && type !== 'SYSTEM_DEFINED' && type !== 'APPLICATION') {
        throw constraintException([
          {
            path: 'typeEquals',
            value: type,
            constraint: 'Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]',
          },
        ]);
      }
      const maxResults = parseMaxResults(firstValue(ctx.query.maxResults));
      const token = firstValue(ctx.query.nextToken);
      const offset = token === undefined ? 0 : decodeToken(token);
      const all = type === 'APPLICATION' ? [] : visibleProfiles(state);
      const page = all.slice(offset, offset + maxResults);
      const body: Record<string, unknown> = {
        inferenceProfileSummaries: page.map((p) => inferenceProfileSummary(p, state)),
      };
      if (offset + maxResults < all.length) body.nextToken = encodeToken(offset + maxResults);
      sendJson(ctx, 200, body);
    },
  },
  {
    operation: 'GetInferenceProfile',
    method: 'GET',
    path: /^\/inference-profiles\/([^/]+)$/,
    handle: ({ state, ctx, match }) => {
      let identifier = match[1] ?? '';
      try {
        identifier = decodeURIComponent(identifier);
      } catch {
        // keep the raw label; the pattern check below refuses it
      }
      if (identifier.length > 2048 || !IDENTIFIER_RE.test(identifier)) {
        throw constraintException([
          {
            path: 'inferenceProfileIdentifier',
            value: identifier,
            constraint: `Member must satisfy regular expression pattern: ${IDENTIFIER_RE.source.slice(1, -1)}`,
          },
        ]);
      }
      const id = identifier.replace(/^arn:[^/]*\//, '');
      const profile = visibleProfiles(state).find((p) => p.id === id);
      if (!profile) {
        throw new BedrockException('ResourceNotFoundException', `Inference profile ${identifier} not found.`, 404);
      }
      sendJson(ctx, 200, inferenceProfileSummary(profile, state));
    },
  },
];
