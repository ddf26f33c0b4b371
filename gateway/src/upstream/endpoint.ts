import type { CompiledAccount } from '../config/index.js';
import { parseModelId } from '../models/index.js';

/** Where one upstream call goes. */
export interface ResolvedEndpoint {
  /** `scheme://host[:port]`, the undici pool key. */
  origin: string;
  protocol: 'https:' | 'http:';
  hostname: string;
  port: number | undefined;
  /** The `host` header value (port only when not the scheme default), as undici sends it. */
  host: string;
  /** Path prefix of an override endpoint without trailing slash ('' normally). */
  basePath: string;
}

/** The region a call is signed for and sent to: an ARN pins its own region, else the model's region. */
export function resolveRegion(modelId: string, modelRegion: string): string {
  return parseModelId(modelId)?.arnRegion ?? modelRegion;
}

/** The public Bedrock runtime endpoint of a region (§0). */
export function defaultRuntimeEndpoint(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/**
 * Resolves endpoints and memoises them (a handful of distinct values per process).
 *
 * The account's `endpoint` override (VPC endpoint, FIPS, emulator) applies to every model of the
 * account, also to models whose region differs from the account's: a VPC interface endpoint serves
 * one region, so such models need their own account. The signing region is still the model's.
 */
export class EndpointResolver {
  private readonly cache = new Map<string, ResolvedEndpoint>();

  resolve(account: CompiledAccount, region: string): ResolvedEndpoint {
    const url = account.endpoint ?? defaultRuntimeEndpoint(region);
    let resolved = this.cache.get(url);
    if (!resolved) {
      resolved = parseEndpoint(url);
      this.cache.set(url, resolved);
    }
    return resolved;
  }
}

function parseEndpoint(raw: string): ResolvedEndpoint {
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`Unsupported endpoint scheme ${url.protocol}`);
  }
  return {
    origin: url.origin,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    host: url.host,
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}
