/**
 * The one config compiler: ProviderAccounts, Models and Secrets of a namespace → the CompiledConfig the
 * gateway serves plus the CompiledCredentials it signs with. Shared by `aigw serve --config DIR` and the
 * operator, so it is pure: no I/O, no clock, no logging. Input objects may come straight from YAML, so
 * every field is checked as `unknown` and reported with its path instead of trusted.
 */
import { createHash } from 'node:crypto';
import { inferFamily, inferModelType, type ModelType, parseModelId } from '../models/index.js';
import { compileModelRoutes } from './model-route.js';
import {
  type AccountCredentials,
  API_KEY_SECRET_TYPE,
  type AuthType,
  type Collaborator,
  type CompiledAccount,
  type CompiledApiKey,
  type CompiledConfig,
  type CompiledCredentials,
  type CompiledModel,
  type CompiledUsagePolicy,
  type ModelPricing,
  type ResourceSet,
} from './types.js';
import { compileUsagePolicy, type LabeledModel } from './usage-policy.js';

/** One thing wrong with one object. In standalone mode any problem rejects the whole config. */
export interface CompileProblem {
  kind: 'ProviderAccount' | 'Model' | 'Secret' | 'UsagePolicy' | 'ModelRoute';
  namespace: string;
  name: string;
  /** Field path inside the object, e.g. `spec.auth.type`; `metadata.name` for name clashes. */
  path: string;
  message: string;
  /** The offending object as given, so callers can locate it (file and document in standalone mode). */
  object: object;
  /**
   * Set when the problem only follows from another object's problem (a Model of a broken account):
   * the kind and name of that object. A report for people lists the cause, not each consequence;
   * per-object status (the operator's) still needs them.
   */
  consequenceOf?: { kind: CompileProblem['kind']; name: string };
  /**
   * Set when the object refers to something that does not exist, e.g. `Secret 'aws-keys'`: several
   * references to the same missing object are one thing to fix.
   */
  missing?: string;
  /** A stable reason for status conditions, where the kind defines them (ModelRoute: ROUTE_REASONS). */
  reason?: string;
}

export interface CompileOptions {
  /** The namespace compiled; objects that name another namespace are skipped. */
  namespace: string;
}

export interface CompileResult {
  /** Only the accounts and models without problems (and models whose account has none). */
  config: CompiledConfig;
  credentials: CompiledCredentials;
  problems: CompileProblem[];
}

/** Defaults applied by the compiler (DESIGN.md, ProviderAccount). */
export const CONFIG_DEFAULTS = {
  accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
  secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
  sessionTokenKey: 'AWS_SESSION_TOKEN',
  apiKeyKey: 'apiKey',
  sessionName: 'aigateway',
  durationSeconds: 3600,
} as const;

const AUTH_TYPES: readonly AuthType[] = ['accessKey', 'assumeRole', 'apiKey', 'default'];
const MODEL_TYPES: readonly ModelType[] = ['chat', 'embedding', 'image'];
const ROLES = ['User', 'Manager'] as const;
// AWS region names: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1, ...
const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
// ProviderAccount names become the prefix of served names, so they must be one DNS label (no `/`).
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const ROLE_ARN_RE = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
// STS RoleSessionName / ExternalId character sets (AssumeRole API reference).
const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]{2,1224}$/;
const SUBJECT_RE = /^(user:.+|team:.+|serviceaccount:[^:]+:[^:]+)$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

// Which AWS regions each geography prefix of a system inference profile may be called from.
// `global.` profiles are callable from any commercial region.
const PROFILE_REGION_PREFIXES: Record<string, readonly string[]> = {
  us: ['us-'],
  'us-gov': ['us-gov-'],
  eu: ['eu-', 'il-', 'me-'],
  apac: ['ap-'],
  jp: ['ap-northeast-'],
  au: ['ap-southeast-'],
  ca: ['ca-'],
};

type Rec = Record<string, unknown>;

interface SecretData {
  type: string | undefined;
  values: Map<string, string>;
  object: object;
}

/**
 * Compiles the objects of one namespace. Never throws on bad input: every defect becomes a
 * {@link CompileProblem} and the offending object (plus the models of a broken account) is left out.
 */
export function compileConfig(resources: ResourceSet, options: CompileOptions): CompileResult {
  const { namespace } = options;
  const problems: CompileProblem[] = [];
  const inNamespace = (o: unknown) => {
    const ns = isRec(o) && isRec(o.metadata) ? o.metadata.namespace : undefined;
    return ns === undefined || ns === null || ns === '' || ns === namespace;
  };

  // Secrets first: accounts and api keys read from them.
  const secrets = new Map<string, SecretData>();
  const apiKeys: CompiledApiKey[] = [];
  const tokenHashes = new Set<string>();
  // Oldest first, so that when two api-key Secrets carry the same token the one already in service
  // keeps it: a Secret created later (whatever its name) must never take over a live caller's token
  // and change its subject. Objects without a creationTimestamp (manifest directories) keep their order.
  for (const raw of resources.secrets.filter(inNamespace).sort(olderFirst)) {
    const secret = raw as unknown as Rec;
    const name = nameOf(secret);
    const report = problemSink(problems, 'Secret', namespace, name, raw);
    if (secrets.has(name)) {
      report('metadata.name', `duplicate Secret '${name}'`);
      continue;
    }
    const decoded = decodeSecret(secret, report);
    if (!decoded) continue;
    secrets.set(name, { ...decoded, object: raw });
    if (decoded.type !== API_KEY_SECRET_TYPE) continue;
    const key = compileApiKey(decoded.values, `${namespace}/${name}`, report);
    if (!key) continue;
    if (tokenHashes.has(key.sha256)) {
      report('stringData.token', 'the same token is already used by another api-key Secret');
      continue;
    }
    tokenHashes.add(key.sha256);
    apiKeys.push(key);
  }

  const accounts = new Map<string, { compiled: CompiledAccount; credentials: AccountCredentials }>();
  const brokenAccounts = new Set<string>();
  for (const raw of resources.accounts.filter(inNamespace)) {
    const account = raw as unknown as Rec;
    const name = nameOf(account);
    const report = problemSink(problems, 'ProviderAccount', namespace, name, raw);
    if (accounts.has(name) || brokenAccounts.has(name)) {
      report('metadata.name', `duplicate ProviderAccount '${name}'`);
      continue;
    }
    const before = problems.length;
    const compiled = compileAccount(account, name, namespace, secrets, report);
    if (!compiled || problems.length > before) {
      brokenAccounts.add(name);
      continue;
    }
    accounts.set(name, compiled);
  }

  const models = new Map<string, CompiledModel>();
  const labeledModels: LabeledModel[] = [];
  const modelNames = new Set<string>();
  for (const raw of resources.models.filter(inNamespace)) {
    const model = raw as unknown as Rec;
    const name = nameOf(model);
    const report = problemSink(problems, 'Model', namespace, name, raw);
    // Kubernetes names are unique per kind and namespace; a manifest directory can still repeat one.
    if (modelNames.has(name)) {
      report('metadata.name', `duplicate Model '${name}'`);
      continue;
    }
    modelNames.add(name);
    const compiled = compileModel(model, name, accounts, brokenAccounts, report);
    if (!compiled) continue;
    const created = creationSeconds(model);
    if (created !== undefined) compiled.created = created;
    if (models.has(compiled.servedName)) {
      report('metadata.name', `duplicate Model '${name}' (served as '${compiled.servedName}')`);
      continue;
    }
    models.set(compiled.servedName, compiled);
    labeledModels.push({ compiled, labels: labelsOf(model) });
  }

  const usagePolicies: CompiledUsagePolicy[] = [];
  const policyNames = new Set<string>();
  for (const raw of (resources.usagePolicies ?? []).filter(inNamespace)) {
    const name = nameOf(raw as unknown as Rec);
    const report = problemSink(problems, 'UsagePolicy', namespace, name, raw);
    if (policyNames.has(name)) {
      report('metadata.name', `duplicate UsagePolicy '${name}'`);
      continue;
    }
    policyNames.add(name);
    const compiled = compileUsagePolicy(raw as unknown as Rec, name, namespace, labeledModels, report);
    if (compiled) usagePolicies.push(compiled);
  }

  const modelsByName = new Map(labeledModels.map((m) => [m.compiled.name, m.compiled]));
  const routes = compileModelRoutes(
    (resources.modelRoutes ?? []).filter(inNamespace),
    { byName: modelsByName, declared: modelNames, servedNames: new Set(models.keys()) },
    (name, object) => problemSink(problems, 'ModelRoute', namespace, name, object),
  );

  const sortedAccounts = [...accounts.values()].sort((a, b) => cmp(a.compiled.name, b.compiled.name));
  const body = {
    namespace,
    accounts: sortedAccounts.map((a) => a.compiled),
    models: [...models.values()].sort((a, b) => cmp(a.servedName, b.servedName)),
    apiKeys: apiKeys.sort((a, b) => cmp(a.source, b.source)),
    // Absent when there are none, so configs (and their revisions) without policies stay as they were.
    ...(usagePolicies.length > 0 ? { usagePolicies: usagePolicies.sort((a, b) => cmp(a.name, b.name)) } : {}),
    ...(routes.length > 0 ? { routes } : {}),
  };
  const credentialAccounts: Record<string, AccountCredentials> = {};
  for (const a of sortedAccounts) credentialAccounts[a.compiled.name] = a.credentials;
  const revision = revisionOf(body, credentialAccounts);
  return {
    config: { revision, ...body },
    credentials: { revision, accounts: credentialAccounts },
    problems,
  };
}

/**
 * The content hash shared by a compiled config and its credentials: both change together, and the
 * gateway (cluster mode) loads a pair only when their revisions agree (kubernetes-design.md §6).
 */
export function revisionOf(
  config: Omit<CompiledConfig, 'revision'>,
  credentials: Record<string, AccountCredentials>,
): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ ...config, revision: undefined }));
  hash.update('\n');
  hash.update(JSON.stringify(credentials));
  return hash.digest('hex').slice(0, 16);
}

/** Hex SHA-256 of a caller token: what api keys are stored and looked up as. */
export function hashApiKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------

type Report = (
  path: string,
  message: string,
  about?: Pick<CompileProblem, 'consequenceOf' | 'missing' | 'reason'>,
) => void;

function problemSink(
  problems: CompileProblem[],
  kind: CompileProblem['kind'],
  namespace: string,
  name: string,
  object: object,
): Report {
  return (path, message, about) => {
    problems.push({ kind, namespace, name, path, message, object, ...about });
  };
}

function decodeSecret(
  secret: Rec,
  report: Report,
): { type: string | undefined; values: Map<string, string> } | undefined {
  const values = new Map<string, string>();
  const type = secret.type;
  if (type !== undefined && typeof type !== 'string') {
    report('type', 'must be a string');
    return undefined;
  }
  let ok = true;
  if (secret.data !== undefined && secret.data !== null) {
    if (!isRec(secret.data)) {
      report('data', 'must be a map of base64 strings');
      return undefined;
    }
    for (const [key, value] of Object.entries(secret.data)) {
      const compact = typeof value === 'string' ? value.replace(/\s+/g, '') : undefined;
      if (compact === undefined || compact.length % 4 !== 0 || !BASE64_RE.test(compact)) {
        report(`data.${key}`, 'must be a base64 string');
        ok = false;
        continue;
      }
      values.set(key, Buffer.from(compact, 'base64').toString('utf8'));
    }
  }
  if (secret.stringData !== undefined && secret.stringData !== null) {
    if (!isRec(secret.stringData)) {
      report('stringData', 'must be a map of strings');
      return undefined;
    }
    // As in Kubernetes, stringData wins over data for the same key.
    for (const [key, value] of Object.entries(secret.stringData)) {
      if (typeof value === 'string') values.set(key, value);
      else if (typeof value === 'number' || typeof value === 'boolean') values.set(key, String(value));
      else {
        report(`stringData.${key}`, 'must be a string');
        ok = false;
      }
    }
  }
  return ok ? { type, values } : undefined;
}

function compileApiKey(values: Map<string, string>, source: string, report: Report): CompiledApiKey | undefined {
  const token = values.get('token');
  const subject = values.get('subject')?.trim();
  let ok = true;
  if (!token) {
    report('stringData.token', 'is required in an api-key Secret');
    ok = false;
  } else if (token.length < 8 || /\s/.test(token)) {
    report('stringData.token', 'must be at least 8 characters without whitespace');
    ok = false;
  }
  if (!subject) {
    report('stringData.subject', 'is required in an api-key Secret (e.g. user:alice@example.com)');
    ok = false;
  } else if (!subject.startsWith('user:') || subject.length === 5) {
    report('stringData.subject', `must look like user:NAME, got '${subject}'`);
    ok = false;
  }
  if (!ok || !token || !subject) return undefined;
  const teams = (values.get('teams') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  return { sha256: hashApiKey(token), subject, teams: [...new Set(teams)], source };
}

function compileAccount(
  account: Rec,
  name: string,
  namespace: string,
  secrets: Map<string, SecretData>,
  report: Report,
): { compiled: CompiledAccount; credentials: AccountCredentials } | undefined {
  if (!DNS_LABEL_RE.test(name)) {
    report('metadata.name', 'must be a DNS label (lowercase letters, digits and -, at most 63 characters)');
  }
  const spec = account.spec;
  if (!isRec(spec)) {
    report('spec', 'is required');
    return undefined;
  }
  checkFields(spec, ACCOUNT_SPEC_FIELDS, 'spec', report);
  if (spec.provider !== 'aws-bedrock') report('spec.provider', 'must be aws-bedrock');
  const region = spec.region;
  if (typeof region !== 'string' || !REGION_RE.test(region)) {
    report('spec.region', `must be an AWS region such as us-east-1, got ${show(region)}`);
  }
  const endpoints: Partial<Record<'endpoint' | 'controlPlaneEndpoint' | 'stsEndpoint' | 's3Endpoint', string>> = {};
  for (const field of ['endpoint', 'controlPlaneEndpoint', 'stsEndpoint', 's3Endpoint'] as const) {
    const value = spec[field];
    if (value === undefined || value === null) continue;
    const url = endpointUrl(value);
    if (url === undefined)
      // The value is not echoed: a URL with user:password@ would put a credential in the logs.
      report(`spec.${field}`, 'must be an http(s) URL without credentials, query or fragment');
    else endpoints[field] = url;
  }

  const credentials: AccountCredentials = {};
  const auth = compileAuth(spec.auth, secrets, credentials, report);

  let batch: CompiledAccount['batch'];
  if (spec.batch !== undefined && spec.batch !== null) {
    if (!isRec(spec.batch)) report('spec.batch', 'must be an object');
    else {
      checkFields(spec.batch, BATCH_FIELDS, 'spec.batch', report);
      batch = {};
      for (const field of ['s3Bucket', 's3Prefix', 'roleArn'] as const) {
        const value = spec.batch[field];
        if (value === undefined || value === null) continue;
        if (typeof value !== 'string' || value === '') report(`spec.batch.${field}`, 'must be a non-empty string');
        else batch[field] = value;
      }
      if (batch.roleArn !== undefined && !ROLE_ARN_RE.test(batch.roleArn)) {
        report('spec.batch.roleArn', 'must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)');
      }
      if (batch.s3Bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(batch.s3Bucket)) {
        report('spec.batch.s3Bucket', 'must be a valid S3 bucket name');
      }
    }
  }

  const collaborators: Collaborator[] = [];
  if (spec.collaborators !== undefined && spec.collaborators !== null) {
    if (!Array.isArray(spec.collaborators)) report('spec.collaborators', 'must be a list');
    else {
      spec.collaborators.forEach((c: unknown, i: number) => {
        const path = `spec.collaborators[${i}]`;
        if (!isRec(c)) {
          report(path, 'must be an object with subject and role');
          return;
        }
        if (!checkFields(c, COLLABORATOR_FIELDS, path, report)) return;
        if (typeof c.subject !== 'string' || !SUBJECT_RE.test(c.subject)) {
          report(
            `${path}.subject`,
            `must be user:NAME, team:GROUP or serviceaccount:NAMESPACE:NAME, got ${show(c.subject)}`,
          );
          return;
        }
        if (!ROLES.includes(c.role as (typeof ROLES)[number])) {
          report(`${path}.role`, `must be one of ${ROLES.join(', ')}, got ${show(c.role)}`);
          return;
        }
        collaborators.push({ subject: c.subject, role: c.role as Collaborator['role'] });
      });
    }
  }

  if (!auth || typeof region !== 'string') return undefined;
  const compiled: CompiledAccount = { name, namespace, region, ...endpoints, auth, collaborators };
  if (batch) compiled.batch = batch;
  return { compiled, credentials };
}

function compileAuth(
  auth: unknown,
  secrets: Map<string, SecretData>,
  credentials: AccountCredentials,
  report: Report,
): CompiledAccount['auth'] | undefined {
  if (!isRec(auth)) {
    report('spec.auth', 'is required');
    return undefined;
  }
  if (!checkFields(auth, AUTH_FIELDS, 'spec.auth', report)) return undefined;
  const type = auth.type;
  if (!AUTH_TYPES.includes(type as AuthType)) {
    report('spec.auth.type', `must be one of ${AUTH_TYPES.join(', ')}`);
    return undefined;
  }
  // Exactly the block named by `type` may be set: a leftover block is almost always a mistake
  // (e.g. switching to assumeRole but still expecting the accessKey Secret to be used directly).
  for (const other of AUTH_TYPES) {
    if (other !== type && other !== 'default' && auth[other] !== undefined && auth[other] !== null) {
      report(`spec.auth.${other}`, `must not be set when spec.auth.type is ${String(type)}`);
    }
  }
  switch (type as AuthType) {
    case 'default':
      return { type: 'default' };
    case 'accessKey': {
      const block = auth.accessKey;
      if (!isRec(block)) {
        report('spec.auth.accessKey', 'is required when spec.auth.type is accessKey');
        return undefined;
      }
      if (!checkFields(block, ['secretRef'], 'spec.auth.accessKey', report)) return undefined;
      return readKeyPair(block.secretRef, 'spec.auth.accessKey.secretRef', secrets, credentials, report)
        ? { type: 'accessKey' }
        : undefined;
    }
    case 'apiKey': {
      const block = auth.apiKey;
      if (!isRec(block)) {
        report('spec.auth.apiKey', 'is required when spec.auth.type is apiKey');
        return undefined;
      }
      if (!checkFields(block, ['secretRef'], 'spec.auth.apiKey', report)) return undefined;
      const path = 'spec.auth.apiKey.secretRef';
      const ref = secretRef(block.secretRef, path, secrets, report);
      if (!ref || !checkFields(ref.ref, API_KEY_REF_FIELDS, path, report)) return undefined;
      const keyName = optionalString(ref.ref.key, `${path}.key`, report) ?? CONFIG_DEFAULTS.apiKeyKey;
      const value = ref.secret.values.get(keyName);
      if (!value) {
        report(`${path}.key`, `Secret '${ref.name}' has no key '${keyName}'`);
        return undefined;
      }
      credentials.apiKey = value.trim();
      return { type: 'apiKey' };
    }
    case 'assumeRole': {
      const block = auth.assumeRole;
      const path = 'spec.auth.assumeRole';
      if (!isRec(block)) {
        report(path, 'is required when spec.auth.type is assumeRole');
        return undefined;
      }
      let ok = checkFields(block, ASSUME_ROLE_FIELDS, path, report);
      if (typeof block.roleArn !== 'string' || !ROLE_ARN_RE.test(block.roleArn)) {
        report(
          `${path}.roleArn`,
          `must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), got ${show(block.roleArn)}`,
        );
        ok = false;
      }
      const externalId = optionalString(block.externalId, `${path}.externalId`, report);
      if (externalId !== undefined && !EXTERNAL_ID_RE.test(externalId)) {
        report(`${path}.externalId`, 'must be 2-1224 characters of letters, digits and +=,.@:/-');
        ok = false;
      }
      const sessionName =
        optionalString(block.sessionName, `${path}.sessionName`, report) ?? CONFIG_DEFAULTS.sessionName;
      if (!SESSION_NAME_RE.test(sessionName)) {
        report(`${path}.sessionName`, 'must be 2-64 characters of letters, digits and _+=,.@-');
        ok = false;
      }
      let durationSeconds: number = CONFIG_DEFAULTS.durationSeconds;
      if (block.durationSeconds !== undefined && block.durationSeconds !== null) {
        // STS accepts 900 s up to the role's maximum session duration (at most 12 h).
        if (
          !Number.isInteger(block.durationSeconds) ||
          (block.durationSeconds as number) < 900 ||
          (block.durationSeconds as number) > 43_200
        ) {
          report(`${path}.durationSeconds`, 'must be an integer from 900 to 43200');
          ok = false;
        } else durationSeconds = block.durationSeconds as number;
      }
      let hasSourceCredentials = false;
      if (block.sourceSecretRef !== undefined && block.sourceSecretRef !== null) {
        if (!readKeyPair(block.sourceSecretRef, `${path}.sourceSecretRef`, secrets, credentials, report)) ok = false;
        else hasSourceCredentials = true;
      }
      if (!ok) return undefined;
      const compiled: CompiledAccount['auth'] = {
        type: 'assumeRole',
        roleArn: block.roleArn as string,
        sessionName,
        durationSeconds,
        hasSourceCredentials,
      };
      if (externalId !== undefined) compiled.externalId = externalId;
      return compiled;
    }
  }
}

/** Reads an access-key pair (and optional session token) from a Secret into `credentials`. */
function readKeyPair(
  rawRef: unknown,
  path: string,
  secrets: Map<string, SecretData>,
  credentials: AccountCredentials,
  report: Report,
): boolean {
  const ref = secretRef(rawRef, path, secrets, report);
  if (!ref || !checkFields(ref.ref, KEY_PAIR_REF_FIELDS, path, report)) return false;
  const idKey =
    optionalString(ref.ref.accessKeyIdKey, `${path}.accessKeyIdKey`, report) ?? CONFIG_DEFAULTS.accessKeyIdKey;
  const secretKey =
    optionalString(ref.ref.secretAccessKeyKey, `${path}.secretAccessKeyKey`, report) ??
    CONFIG_DEFAULTS.secretAccessKeyKey;
  const explicitTokenKey = optionalString(ref.ref.sessionTokenKey, `${path}.sessionTokenKey`, report);
  const accessKeyId = ref.secret.values.get(idKey)?.trim();
  const secretAccessKey = ref.secret.values.get(secretKey)?.trim();
  let ok = true;
  if (!accessKeyId) {
    report(`${path}.accessKeyIdKey`, `Secret '${ref.name}' has no key '${idKey}'`);
    ok = false;
  }
  if (!secretAccessKey) {
    report(`${path}.secretAccessKeyKey`, `Secret '${ref.name}' has no key '${secretKey}'`);
    ok = false;
  }
  // The session token is optional: a missing default key means long-term keys, but a key the
  // manifest names explicitly must exist.
  const sessionToken = ref.secret.values.get(explicitTokenKey ?? CONFIG_DEFAULTS.sessionTokenKey)?.trim();
  if (explicitTokenKey !== undefined && !sessionToken) {
    report(`${path}.sessionTokenKey`, `Secret '${ref.name}' has no key '${explicitTokenKey}'`);
    ok = false;
  }
  if (!ok || !accessKeyId || !secretAccessKey) return false;
  credentials.accessKeyId = accessKeyId;
  credentials.secretAccessKey = secretAccessKey;
  if (sessionToken) credentials.sessionToken = sessionToken;
  return true;
}

function secretRef(
  raw: unknown,
  path: string,
  secrets: Map<string, SecretData>,
  report: Report,
): { ref: Rec; name: string; secret: SecretData } | undefined {
  if (!isRec(raw)) {
    report(path, 'is required (an object with name)');
    return undefined;
  }
  if (typeof raw.name !== 'string' || raw.name === '') {
    report(`${path}.name`, 'is required');
    return undefined;
  }
  const secret = secrets.get(raw.name);
  if (!secret) {
    report(`${path}.name`, `Secret '${raw.name}' not found`, { missing: `Secret '${raw.name}'` });
    return undefined;
  }
  return { ref: raw, name: raw.name, secret };
}

function compileModel(
  model: Rec,
  name: string,
  accounts: Map<string, { compiled: CompiledAccount }>,
  brokenAccounts: Set<string>,
  report: Report,
): CompiledModel | undefined {
  let ok = true;
  if (!DNS_SUBDOMAIN_RE.test(name)) {
    report('metadata.name', 'must be lowercase letters, digits, - and . (a Kubernetes object name)');
    ok = false;
  }
  const spec = model.spec;
  if (!isRec(spec)) {
    report('spec', 'is required');
    return undefined;
  }
  if (!checkFields(spec, MODEL_SPEC_FIELDS, 'spec', report)) ok = false;
  const accountName = spec.account;
  let account: CompiledAccount | undefined;
  if (typeof accountName !== 'string' || accountName === '') {
    report('spec.account', 'is required');
    ok = false;
  } else if (brokenAccounts.has(accountName)) {
    report('spec.account', `ProviderAccount '${accountName}' has problems; its models are not served`, {
      consequenceOf: { kind: 'ProviderAccount', name: accountName },
    });
    ok = false;
  } else {
    account = accounts.get(accountName)?.compiled;
    if (!account) {
      report('spec.account', `ProviderAccount '${accountName}' not found`, {
        missing: `ProviderAccount '${accountName}'`,
      });
      ok = false;
    }
  }
  const modelId = spec.modelId;
  const parsed = typeof modelId === 'string' ? parseModelId(modelId) : undefined;
  if (!parsed) {
    report('spec.modelId', `must be a Bedrock model id, inference profile id or ARN, got ${show(modelId)}`);
    ok = false;
  }
  let regionOverride: string | undefined;
  if (spec.region !== undefined && spec.region !== null) {
    if (typeof spec.region !== 'string' || !REGION_RE.test(spec.region)) {
      report('spec.region', `must be an AWS region such as us-east-1, got ${show(spec.region)}`);
      ok = false;
    } else regionOverride = spec.region;
  }
  let type: ModelType | undefined;
  if (spec.type !== undefined && spec.type !== null) {
    if (!MODEL_TYPES.includes(spec.type as ModelType)) {
      report('spec.type', `must be one of ${MODEL_TYPES.join(', ')}`);
      ok = false;
    } else type = spec.type as ModelType;
  }
  const pricing = compilePricing(spec.pricing, report);
  if (pricing === null) ok = false;
  if (!ok || !account || !parsed || typeof modelId !== 'string') return undefined;

  const family = inferFamily(modelId);
  const inferredType = inferModelType(modelId);
  // An unknown family (application-profile ARNs, imported models) carries no type information,
  // so the Model's declared type is trusted there.
  if (type !== undefined && family !== 'unknown' && type !== inferredType) {
    report('spec.type', `'${type}' does not match model id ${modelId}, which is a ${inferredType} model`);
    return undefined;
  }
  // Region precedence: an ARN pins its region, then the Model's override, then the account's.
  if (parsed.arnRegion && regionOverride && parsed.arnRegion !== regionOverride) {
    report('spec.region', `conflicts with the region ${parsed.arnRegion} named by the ARN in spec.modelId`);
    return undefined;
  }
  const region = parsed.arnRegion ?? regionOverride ?? account.region;
  const allowed = parsed.profilePrefix ? PROFILE_REGION_PREFIXES[parsed.profilePrefix] : undefined;
  if (allowed && !allowed.some((p) => region.startsWith(p))) {
    // Bedrock answers a geography profile called from outside its geography with a ValidationException;
    // catching it here names the fix instead.
    report(
      regionOverride ? 'spec.region' : 'spec.modelId',
      `inference profile '${parsed.profilePrefix}.' cannot be called from region ${region}`,
    );
    return undefined;
  }
  const compiled: CompiledModel = {
    servedName: `${account.name}/${name}`,
    account: account.name,
    name,
    modelId,
    region,
    type: type ?? inferredType,
    family,
  };
  if (pricing) compiled.pricing = pricing;
  return compiled;
}

function labelsOf(object: Rec): Record<string, string> {
  const labels = isRec(object.metadata) ? object.metadata.labels : undefined;
  const out: Record<string, string> = {};
  if (isRec(labels)) for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** `metadata.creationTimestamp` as Unix seconds, when the object carries one (objects read from a cluster do). */
function creationSeconds(object: Rec): number | undefined {
  const stamp = isRec(object.metadata) ? object.metadata.creationTimestamp : undefined;
  if (typeof stamp !== 'string') return undefined;
  const ms = Date.parse(stamp);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** undefined = no pricing; null = invalid (reported). */
function compilePricing(raw: unknown, report: Report): ModelPricing | undefined | null {
  if (raw === undefined || raw === null) return undefined;
  if (!isRec(raw)) {
    report('spec.pricing', 'must be an object');
    return null;
  }
  const fields = [
    'inputPerMillionTokens',
    'outputPerMillionTokens',
    'cacheReadPerMillionTokens',
    'cacheWritePerMillionTokens',
    'perImage',
  ] as const;
  const pricing: ModelPricing = {};
  let ok = true;
  for (const [key, value] of Object.entries(raw)) {
    if (!(fields as readonly string[]).includes(key)) {
      report(`spec.pricing.${key}`, `unknown field; expected one of ${fields.join(', ')}`);
      ok = false;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      report(`spec.pricing.${key}`, 'must be a non-negative number (USD)');
      ok = false;
      continue;
    }
    pricing[key as (typeof fields)[number]] = value;
  }
  return ok ? pricing : null;
}

function endpointUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.search || url.hash || url.username || url.password) return undefined;
  // Keep the path (VPC endpoints may sit behind a path prefix) without a trailing slash.
  return url.toString().replace(/\/+$/, '');
}

// Fields of each object, as in the CRDs (crds/). `kubectl apply` rejects unknown fields by default
// (server-side strict field validation), so a typo such as `endpont:` must not be dropped silently here
// either: the account would quietly call the public endpoint instead.
const ACCOUNT_SPEC_FIELDS = [
  'provider',
  'region',
  'endpoint',
  'controlPlaneEndpoint',
  'stsEndpoint',
  's3Endpoint',
  'auth',
  'batch',
  'collaborators',
] as const;
const AUTH_FIELDS = ['type', 'accessKey', 'assumeRole', 'apiKey'] as const;
const KEY_PAIR_REF_FIELDS = ['name', 'accessKeyIdKey', 'secretAccessKeyKey', 'sessionTokenKey'] as const;
const API_KEY_REF_FIELDS = ['name', 'key'] as const;
const ASSUME_ROLE_FIELDS = ['roleArn', 'externalId', 'sessionName', 'durationSeconds', 'sourceSecretRef'] as const;
const BATCH_FIELDS = ['s3Bucket', 's3Prefix', 'roleArn'] as const;
const COLLABORATOR_FIELDS = ['subject', 'role'] as const;
const MODEL_SPEC_FIELDS = ['account', 'modelId', 'region', 'type', 'pricing'] as const;

/** Reports fields not in `known` (with a suggestion for near misses); false when there were any. */
function checkFields(object: Rec, known: readonly string[], path: string, report: Report): boolean {
  let ok = true;
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const guess = known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
    report(
      `${path}.${key}`,
      `unknown field${guess ? ` (did you mean ${guess}?)` : `; expected one of ${known.join(', ')}`}`,
    );
    ok = false;
  }
  return ok;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

function optionalString(value: unknown, path: string, report: Report): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    report(path, 'must be a non-empty string');
    return undefined;
  }
  return value;
}

function nameOf(object: Rec): string {
  return isRec(object.metadata) && typeof object.metadata.name === 'string' ? object.metadata.name : '';
}

/**
 * Orders objects by `metadata.creationTimestamp` (RFC 3339 UTC, so string order is time order), then
 * by name; objects without a timestamp sort first and keep their relative order (sort is stable).
 */
function olderFirst(a: unknown, b: unknown): number {
  const created = (o: unknown) =>
    isRec(o) && isRec(o.metadata) && typeof o.metadata.creationTimestamp === 'string'
      ? o.metadata.creationTimestamp
      : '';
  const ta = created(a);
  const tb = created(b);
  if (ta === '' || tb === '') return ta === tb ? 0 : ta === '' ? -1 : 1;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return cmp(nameOf(a as Rec), nameOf(b as Rec));
}

function isRec(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
