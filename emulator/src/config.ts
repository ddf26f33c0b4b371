/**
 * Emulator configuration files (`aigw emulator --config FILE`): YAML or JSON holding the same data as
 * `EmulatorOptions` — port, host, region, latency and extra identities. Data only, so identities are
 * added without code.
 *
 * ```yaml
 * port: 4566
 * region: us-east-1
 * latency: { fixedMs: 20, timeToFirstTokenMs: 150, interTokenDelayMs: 15 }
 * identity:
 *   users: [{ name: ci, accessKeyId: AKIA..., secretAccessKey: ... }]
 *   apiKeys: [{ key: ABSK..., user: ci }]
 *   roles: [{ arn: "arn:aws:iam::111122223333:role/Batch", externalId: x, maxSessionDuration: 3600 }]
 * ```
 */

import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type {
  EmulatorOptions,
  IdentityApiKey,
  IdentityConfig,
  IdentityRole,
  IdentityUser,
  LatencyConfig,
} from './options.js';

/** A configuration file that cannot be used; the message names the file and the field. */
export class EmulatorConfigError extends Error {
  override readonly name = 'EmulatorConfigError';
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(o: Obj, key: string, where: string, optional = false): string | undefined {
  const value = o[key];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new EmulatorConfigError(`${where}.${key} must be a non-empty string`);
  return value;
}

function num(o: Obj, key: string, where: string): number | undefined {
  const value = o[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new EmulatorConfigError(`${where}.${key} must be a number >= 0`);
  }
  return value;
}

function list<T>(value: unknown, where: string, item: (o: Obj, at: string) => T): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new EmulatorConfigError(`${where} must be a list`);
  return value.map((entry, i) => {
    if (!isObj(entry)) throw new EmulatorConfigError(`${where}[${i}] must be an object`);
    return item(entry, `${where}[${i}]`);
  });
}

/** Parses configuration text (YAML, which includes JSON) into emulator options. */
export function parseEmulatorConfig(text: string, source = 'config'): EmulatorOptions {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new EmulatorConfigError(`${source}: not valid YAML or JSON (${(error as Error).message})`);
  }
  if (data === null || data === undefined) return {};
  if (!isObj(data)) throw new EmulatorConfigError(`${source}: the top level must be a mapping`);
  const options: EmulatorOptions = {};
  const port = num(data, 'port', source);
  if (port !== undefined) options.port = port;
  const host = str(data, 'host', source, true);
  if (host !== undefined) options.host = host;
  const region = str(data, 'region', source, true);
  if (region !== undefined) options.region = region;
  const secret = str(data, 'signatureSecret', source, true);
  if (secret !== undefined) options.signatureSecret = secret;
  const tlsPort = num(data, 'tlsPort', source);
  if (tlsPort !== undefined) options.tlsPort = tlsPort;
  const tlsCaFile = str(data, 'tlsCaFile', source, true);
  if (tlsCaFile !== undefined) options.tlsCaFile = tlsCaFile;
  if (data.latency !== undefined) {
    if (!isObj(data.latency)) throw new EmulatorConfigError(`${source}.latency must be a mapping`);
    const latency: Partial<LatencyConfig> = {};
    for (const key of ['fixedMs', 'timeToFirstTokenMs', 'interTokenDelayMs'] as const) {
      const value = num(data.latency, key, `${source}.latency`);
      if (value !== undefined) latency[key] = value;
    }
    options.latency = latency;
  }
  if (data.s3 !== undefined) {
    if (!isObj(data.s3)) throw new EmulatorConfigError(`${source}.s3 must be a mapping`);
    const s3: NonNullable<EmulatorOptions['s3']> = {};
    const maxBytes = num(data.s3, 'maxBytes', `${source}.s3`);
    if (maxBytes !== undefined) s3.maxBytes = maxBytes;
    if (data.s3.buckets !== undefined) {
      if (!Array.isArray(data.s3.buckets) || !data.s3.buckets.every((b) => typeof b === 'string')) {
        throw new EmulatorConfigError(`${source}.s3.buckets must be a list of bucket names`);
      }
      s3.buckets = data.s3.buckets as string[];
    }
    const dir = str(data.s3, 'dir', `${source}.s3`, true);
    if (dir !== undefined) s3.dir = dir;
    options.s3 = s3;
  }
  if (data.batch !== undefined) {
    const where = `${source}.batch`;
    if (!isObj(data.batch)) throw new EmulatorConfigError(`${where} must be a mapping`);
    const batch: NonNullable<EmulatorOptions['batch']> = {};
    for (const key of [
      'stepMs',
      'recordDelayMs',
      'minRecords',
      'maxRecordsPerFile',
      'maxRecordsPerJob',
      'maxInputFileBytes',
      'maxJobInputBytes',
      'maxActiveJobsPerModel',
    ] as const) {
      const value = num(data.batch, key, where);
      if (value !== undefined) batch[key] = value;
    }
    const order = data.batch.outputOrder;
    if (order !== undefined) {
      if (order !== 'input' && order !== 'shuffled')
        throw new EmulatorConfigError(`${where}.outputOrder is input or shuffled`);
      batch.outputOrder = order;
    }
    if (data.batch.s3 !== undefined) {
      const ext = data.batch.s3;
      if (!isObj(ext)) throw new EmulatorConfigError(`${where}.s3 must be a mapping`);
      const region = str(ext, 'region', `${where}.s3`, true);
      const sessionToken = str(ext, 'sessionToken', `${where}.s3`, true);
      batch.s3 = {
        endpoint: str(ext, 'endpoint', `${where}.s3`) ?? '',
        accessKeyId: str(ext, 'accessKeyId', `${where}.s3`) ?? '',
        secretAccessKey: str(ext, 'secretAccessKey', `${where}.s3`) ?? '',
        ...(region !== undefined ? { region } : {}),
        ...(sessionToken !== undefined ? { sessionToken } : {}),
      };
    }
    options.batch = batch;
  }
  if (data.identity !== undefined) {
    const id = data.identity;
    if (!isObj(id)) throw new EmulatorConfigError(`${source}.identity must be a mapping`);
    const where = `${source}.identity`;
    const identity: { -readonly [K in keyof IdentityConfig]?: IdentityConfig[K] } = {
      users: list(id.users, `${where}.users`, (o, at): IdentityUser => {
        const accountId = str(o, 'accountId', at, true);
        if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
          throw new EmulatorConfigError(`${at}.accountId must be a 12-digit AWS account id (quoted in YAML)`);
        }
        return {
          name: str(o, 'name', at) ?? '',
          accessKeyId: str(o, 'accessKeyId', at) ?? '',
          secretAccessKey: str(o, 'secretAccessKey', at) ?? '',
          ...(accountId !== undefined ? { accountId } : {}),
        };
      }),
      apiKeys: list(
        id.apiKeys,
        `${where}.apiKeys`,
        (o, at): IdentityApiKey => ({
          key: str(o, 'key', at) ?? '',
          user: str(o, 'user', at) ?? '',
        }),
      ),
      roles: list(id.roles, `${where}.roles`, (o, at): IdentityRole => {
        const externalId = str(o, 'externalId', at, true);
        const maxSessionDuration = num(o, 'maxSessionDuration', at);
        return {
          arn: str(o, 'arn', at) ?? '',
          ...(externalId !== undefined ? { externalId } : {}),
          ...(maxSessionDuration !== undefined ? { maxSessionDuration } : {}),
        };
      }),
    };
    const accountId = str(id, 'accountId', where, true);
    if (accountId !== undefined) identity.accountId = accountId;
    const audience = str(id, 'webIdentityAudience', where, true);
    if (audience !== undefined) identity.webIdentityAudience = audience;
    const containerRole = str(id, 'containerCredentialsRole', where, true);
    if (containerRole !== undefined) identity.containerCredentialsRole = containerRole;
    if (id.deniedModels !== undefined) {
      if (!Array.isArray(id.deniedModels) || !id.deniedModels.every((m) => typeof m === 'string')) {
        throw new EmulatorConfigError(`${where}.deniedModels must be a list of model ids`);
      }
      identity.deniedModels = id.deniedModels as string[];
    }
    options.identity = identity;
  }
  return options;
}

/** Reads and parses a configuration file. */
export async function loadEmulatorConfig(path: string): Promise<EmulatorOptions> {
  return parseEmulatorConfig(await readFile(path, 'utf8'), path);
}
