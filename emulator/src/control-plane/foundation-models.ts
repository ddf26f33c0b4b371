/**
 * ListFoundationModels (`GET /foundation-models`) and GetFoundationModel (`GET /foundation-models/{id}`)
 * from the catalog. The operator uses ListFoundationModels to check Bedrock API keys, which STS does not
 * accept.
 */

import { CATALOG, type CatalogModel } from '../catalog.js';
import { constraintException, INVALID_MODEL_MESSAGE, validationException } from '../errors.js';
import { sendJson } from '../reply.js';
import type { EmulatorState } from '../state.js';
import type { ControlPlaneRoute } from './index.js';

const PROVIDERS: Readonly<Record<string, string>> = {
  anthropic: 'Anthropic',
  amazon: 'Amazon',
  meta: 'Meta',
  mistral: 'Mistral AI',
  cohere: 'Cohere',
  deepseek: 'DeepSeek',
  openai: 'OpenAI',
  stability: 'Stability AI',
};

function modalities(model: CatalogModel): { input: string[]; output: string[] } {
  switch (model.type) {
    case 'embedding':
      return { input: ['TEXT'], output: ['EMBEDDING'] };
    case 'image':
      return { input: ['TEXT', 'IMAGE'], output: ['IMAGE'] };
    default:
      return { input: model.images ? ['TEXT', 'IMAGE'] : ['TEXT'], output: ['TEXT'] };
  }
}

/** A FoundationModelSummary of the Bedrock control-plane API. */
export function foundationModelSummary(model: CatalogModel, region: string): Record<string, unknown> {
  const provider = model.id.split('.')[0] ?? '';
  const { input, output } = modalities(model);
  return {
    modelArn: `arn:aws:bedrock:${region}::foundation-model/${model.id}`,
    modelId: model.id,
    modelName: model.id.slice(provider.length + 1).replace(/[-:]v\d+(:\d+)?$/, ''),
    providerName: PROVIDERS[provider] ?? provider,
    inputModalities: input,
    outputModalities: output,
    responseStreamingSupported: model.streaming,
    customizationsSupported: [],
    inferenceTypesSupported: model.requiresProfile ? ['INFERENCE_PROFILE'] : ['ON_DEMAND'],
    modelLifecycle: { status: 'ACTIVE' },
  };
}

function regionOf(state: EmulatorState): string {
  return state.pinnedRegion ?? 'us-east-1';
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export const FOUNDATION_MODEL_ROUTES: readonly ControlPlaneRoute[] = [
  {
    operation: 'ListFoundationModels',
    method: 'GET',
    path: /^\/foundation-models$/,
    handle: ({ state, ctx }) => {
      const byProvider = firstValue(ctx.query.byProvider)?.toLowerCase();
      const byOutput = firstValue(ctx.query.byOutputModality);
      const byInference = firstValue(ctx.query.byInferenceType);
      // The filters are service-model enums; a value outside them is refused rather than matching nothing.
      // (INFERENCE_PROFILE is not in the enum but is what profile-only models report, so it filters too.)
      const filters: ReadonlyArray<readonly [string, string | undefined, readonly string[]]> = [
        ['byOutputModality', byOutput, ['TEXT', 'IMAGE', 'EMBEDDING']],
        ['byInferenceType', byInference, ['ON_DEMAND', 'PROVISIONED', 'INFERENCE_PROFILE']],
      ];
      for (const [member, value, values] of filters) {
        if (value !== undefined && !values.includes(value)) {
          throw constraintException([
            { path: member, value, constraint: `Member must satisfy enum value set: [${values.join(', ')}]` },
          ]);
        }
      }
      const summaries = [...CATALOG.values()]
        .map((m) => foundationModelSummary(m, regionOf(state)))
        .filter(
          (s) =>
            (byProvider === undefined || String(s.providerName).toLowerCase() === byProvider) &&
            (byOutput === undefined || (s.outputModalities as string[]).includes(byOutput)) &&
            (byInference === undefined || (s.inferenceTypesSupported as string[]).includes(byInference)),
        );
      sendJson(ctx, 200, { modelSummaries: summaries });
    },
  },
  {
    operation: 'GetFoundationModel',
    method: 'GET',
    path: /^\/foundation-models\/([^/]+)$/,
    handle: ({ state, ctx, match }) => {
      let id = match[1] ?? '';
      try {
        id = decodeURIComponent(id);
      } catch {
        // keep the raw label
      }
      id = id.replace(/^arn:aws[a-z-]*:bedrock:[a-z0-9-]*::foundation-model\//, '');
      const model = CATALOG.get(id);
      if (!model) throw validationException(INVALID_MODEL_MESSAGE);
      sendJson(ctx, 200, { modelDetails: foundationModelSummary(model, regionOf(state)) });
    },
  },
];
