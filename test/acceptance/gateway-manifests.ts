/**
 * Manifests for the gateway acceptance suites, written from DESIGN.md's resource contracts: four
 * ProviderAccounts (one per auth type) against the emulator, Models named by foundation id, inference
 * profile, ARN and with a region override, and api-key Secrets with subjects and teams.
 */
import { EMU_ACCESS_KEY_ID, EMU_BEDROCK_API_KEY, EMU_SECRET_ACCESS_KEY } from './gateway-harness.js';

export const KEYS = {
  /** user:alice, a Manager of `keys` by subject; team research (User of `role` and `bearer`). */
  alice: 'sk-acc-alice-0123456789abcdef',
  /** user:bob, team ml-platform: User of `chain` only. */
  bob: 'sk-acc-bob-0123456789abcdef',
  /** user:mallory: no collaborator anywhere. */
  mallory: 'sk-acc-mallory-0123456789abcdef',
  /** user:temp, team research: removed during the hot-reload test. */
  temp: 'sk-acc-temp-0123456789abcdef',
} as const;

function account(name: string, emu: string, auth: string, collaborators: string): string {
  return `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: ${name}, namespace: acc }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${emu}
  controlPlaneEndpoint: ${emu}
  stsEndpoint: ${emu}
  auth:
${auth}
  collaborators:
${collaborators}
`;
}

export function accountsYaml(emu: string): string {
  return [
    account(
      'keys',
      emu,
      `    type: accessKey
    accessKey: { secretRef: { name: aws-keys } }`,
      `    - { subject: "user:alice@example.com", role: Manager }`,
    ),
    account(
      'role',
      emu,
      `    type: assumeRole
    assumeRole:
      roleArn: arn:aws:iam::111122223333:role/BedrockAccess
      externalId: aigw-demo-external-id
      sourceSecretRef: { name: aws-keys }`,
      `    - { subject: "team:research", role: User }`,
    ),
    account(
      'bearer',
      emu,
      `    type: apiKey
    apiKey: { secretRef: { name: bedrock-key } }`,
      `    - { subject: "team:research", role: User }`,
    ),
    account(
      'chain',
      emu,
      `    type: default`,
      `    - { subject: "team:ml-platform", role: User }
    - { subject: "user:alice@example.com", role: User }`,
    ),
    `apiVersion: v1
kind: Secret
metadata: { name: aws-keys, namespace: acc }
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: ${EMU_ACCESS_KEY_ID}
  AWS_SECRET_ACCESS_KEY: ${EMU_SECRET_ACCESS_KEY}
`,
    `apiVersion: v1
kind: Secret
metadata: { name: bedrock-key, namespace: acc }
type: Opaque
data:
  apiKey: ${Buffer.from(EMU_BEDROCK_API_KEY).toString('base64')}
`,
  ].join('---\n');
}

function model(name: string, acct: string, modelId: string, extra = ''): string {
  return `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: ${name}, namespace: acc }
spec:
  account: ${acct}
  modelId: "${modelId}"
${extra}`;
}

export const MODELS = {
  claude: 'keys/global-anthropic-claude-sonnet-4-5-20250929-v1-0',
  nova: 'keys/amazon-nova-lite-v1-0',
  novaArn: 'keys/nova-pro-arn',
  haikuProfileArn: 'keys/haiku-profile-arn',
  microEu: 'keys/eu-nova-micro',
  llama: 'keys/us-meta-llama3-3-70b-instruct-v1-0',
  roleNova: 'role/role-nova-lite',
  bearerNova: 'bearer/bearer-nova-lite',
  chainNova: 'chain/chain-nova-lite',
  embed: 'keys/amazon-titan-embed-text-v2-0',
} as const;

export function modelsYaml(): string {
  return [
    model(
      'global-anthropic-claude-sonnet-4-5-20250929-v1-0',
      'keys',
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ),
    model(
      'amazon-nova-lite-v1-0',
      'keys',
      'amazon.nova-lite-v1:0',
      '  pricing: { inputPerMillionTokens: 1000, outputPerMillionTokens: 2000 }\n',
    ),
    model('nova-pro-arn', 'keys', 'arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0'),
    model(
      'haiku-profile-arn',
      'keys',
      'arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0',
    ),
    model('eu-nova-micro', 'keys', 'eu.amazon.nova-micro-v1:0', '  region: eu-west-1\n'),
    model('us-meta-llama3-3-70b-instruct-v1-0', 'keys', 'us.meta.llama3-3-70b-instruct-v1:0'),
    model('amazon-titan-embed-text-v2-0', 'keys', 'amazon.titan-embed-text-v2:0'),
    // Model names are unique per namespace (Kubernetes objects), so each account's copy has its own name.
    model('role-nova-lite', 'role', 'amazon.nova-lite-v1:0'),
    model('bearer-nova-lite', 'bearer', 'amazon.nova-lite-v1:0'),
    model('chain-nova-lite', 'chain', 'amazon.nova-lite-v1:0'),
  ].join('---\n');
}

function apiKey(name: string, token: string, subject: string, teams?: string): string {
  return `apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: ${name}, namespace: acc }
stringData:
  token: ${token}
  subject: "${subject}"
${teams ? `  teams: "${teams}"\n` : ''}`;
}

export function apiKeysYaml(opts: { withTemp?: boolean } = {}): string {
  const docs = [
    apiKey('alice-key', KEYS.alice, 'user:alice@example.com', 'research'),
    apiKey('bob-key', KEYS.bob, 'user:bob@example.com', 'ml-platform'),
    apiKey('mallory-key', KEYS.mallory, 'user:mallory@example.com'),
  ];
  if (opts.withTemp !== false) docs.push(apiKey('temp-key', KEYS.temp, 'user:temp@example.com', 'research'));
  return docs.join('---\n');
}
