/**
 * Every member the Bedrock runtime service model marks required in a Converse request, read from
 * botocore's copy of the model, is refused when absent with AWS's `Value null at '<path>' ... Member must
 * not be null`. New required members in a botocore update fail here until the emulator handles them (or
 * the exemption list says why it does not). Skipped, with the reason printed, where Python's botocore is
 * not installed (CI installs boto3).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signReasoning } from '../src/converse/reasoning.js';
import { type RunningEmulator, startEmulator } from '../src/index.js';
import { DEFAULT_SIGNATURE_SECRET } from '../src/options.js';

// Prints {"<structure path>": [required members]} for each structure reachable from ConverseRequest (first
// path where each shape appears), e.g. "messages[].content[].image": ["format", "source"].
const DUMP_REQUIRED = `
import json, botocore.session
model = botocore.session.get_session().get_service_model('bedrock-runtime')._service_description
shapes, seen, out = model['shapes'], set(), {}
def walk(name, path):
    shape = shapes[name]
    if name in seen:
        return
    seen.add(name)
    if shape['type'] == 'structure':
        if shape.get('required') and path:
            out[path] = shape['required']
        for member, ref in shape['members'].items():
            walk(ref['shape'], (path + '.' if path else '') + member)
    elif shape['type'] == 'list':
        walk(shape['member']['shape'], path + '[]')
    elif shape['type'] == 'map':
        walk(shape['value']['shape'], path + '{}')
walk('ConverseRequest', '')
print(json.dumps(out))
`;
const dump = spawnSync('python3', ['-c', DUMP_REQUIRED], { encoding: 'utf8' });
const REQUIRED: Record<string, string[]> | undefined =
  dump.status === 0 ? (JSON.parse(dump.stdout) as Record<string, string[]>) : undefined;
if (!REQUIRED) {
  console.log(
    `converse-required-members: skipped, botocore's service model is not available here (${(dump.error?.message ?? dump.stderr ?? '').trim().split('\n').at(-1)})`,
  );
}

const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA_LITE = 'amazon.nova-lite-v1:0';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]).toString(
  'base64',
);
const PDF = Buffer.from('%PDF-1.4 test').toString('base64');

/** A valid Converse body for Claude holding one instance of every structure the emulator validates. */
function claudeBody(): Record<string, unknown> {
  return {
    messages: [
      {
        role: 'user',
        content: [
          { text: 'hi' },
          { image: { format: 'png', source: { bytes: PNG } } },
          { document: { format: 'pdf', name: 'doc', source: { bytes: PDF } } },
          { image: { format: 'png', source: { s3Location: { uri: 's3://my-bucket/a.png' } } } },
          { cachePoint: { type: 'default' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          {
            reasoningContent: {
              reasoningText: { text: 'plan', signature: signReasoning('plan', DEFAULT_SIGNATURE_SECRET) },
            },
          },
          { toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'ok' }] } },
          { guardContent: { text: { text: 'guarded' } } },
          { guardContent: { image: { format: 'png', source: { bytes: PNG } } } },
        ],
      },
    ],
    toolConfig: {
      tools: [
        { toolSpec: { name: 'f', inputSchema: { json: { type: 'object', properties: {} } } } },
        { systemTool: { name: 'web_search' } },
      ],
      toolChoice: { tool: { name: 'f' } },
    },
    serviceTier: { type: 'default' },
    outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{"type":"object"}' } } } },
  };
}

/** A valid Converse body for Nova Lite with a video block. */
function novaBody(): Record<string, unknown> {
  return {
    messages: [{ role: 'user', content: [{ text: 'watch' }, { video: { format: 'mp4', source: { bytes: PNG } } }] }],
  };
}

type Path = readonly (string | number)[];
/** Where each service-model structure sits in the bodies above. */
const WHERE: Readonly<Record<string, { model: string; body: () => Record<string, unknown>; at: Path }>> = {
  'messages[]': { model: SONNET, body: claudeBody, at: ['messages', 0] },
  'messages[].content[].image': { model: SONNET, body: claudeBody, at: ['messages', 0, 'content', 1, 'image'] },
  'messages[].content[].image.source.s3Location': {
    model: SONNET,
    body: claudeBody,
    at: ['messages', 0, 'content', 3, 'image', 'source', 's3Location'],
  },
  'messages[].content[].document': { model: SONNET, body: claudeBody, at: ['messages', 0, 'content', 2, 'document'] },
  'messages[].content[].video': { model: NOVA_LITE, body: novaBody, at: ['messages', 0, 'content', 1, 'video'] },
  'messages[].content[].toolUse': { model: SONNET, body: claudeBody, at: ['messages', 1, 'content', 1, 'toolUse'] },
  'messages[].content[].toolResult': {
    model: SONNET,
    body: claudeBody,
    at: ['messages', 2, 'content', 0, 'toolResult'],
  },
  'messages[].content[].guardContent.text': {
    model: SONNET,
    body: claudeBody,
    at: ['messages', 2, 'content', 1, 'guardContent', 'text'],
  },
  'messages[].content[].guardContent.image': {
    model: SONNET,
    body: claudeBody,
    at: ['messages', 2, 'content', 2, 'guardContent', 'image'],
  },
  'messages[].content[].cachePoint': {
    model: SONNET,
    body: claudeBody,
    at: ['messages', 0, 'content', 4, 'cachePoint'],
  },
  'messages[].content[].reasoningContent.reasoningText': {
    model: SONNET,
    body: claudeBody,
    at: ['messages', 1, 'content', 0, 'reasoningContent', 'reasoningText'],
  },
  toolConfig: { model: SONNET, body: claudeBody, at: ['toolConfig'] },
  'toolConfig.tools[].toolSpec': { model: SONNET, body: claudeBody, at: ['toolConfig', 'tools', 0, 'toolSpec'] },
  'toolConfig.tools[].systemTool': { model: SONNET, body: claudeBody, at: ['toolConfig', 'tools', 1, 'systemTool'] },
  'toolConfig.toolChoice.tool': { model: SONNET, body: claudeBody, at: ['toolConfig', 'toolChoice', 'tool'] },
  serviceTier: { model: SONNET, body: claudeBody, at: ['serviceTier'] },
  'outputConfig.textFormat': { model: SONNET, body: claudeBody, at: ['outputConfig', 'textFormat'] },
  'outputConfig.textFormat.structure.jsonSchema': {
    model: SONNET,
    body: claudeBody,
    at: ['outputConfig', 'textFormat', 'structure', 'jsonSchema'],
  },
};

/** Structures the emulator accepts without reading them, each with the reason (docs/emulator.md). */
const NOT_VALIDATED: Readonly<Record<string, string>> = {
  'messages[].content[].document.citations': 'citations are validated for shape only, not interpreted',
  'messages[].content[].audio': 'no catalog model takes audio, so every audio block is refused before its members',
  'messages[].content[].toolResult.content[].searchResult': 'search results are not interpreted',
  'messages[].content[].toolResult.content[].searchResult.content[]': 'search results are not interpreted',
};

/** AWS's path form: list positions 1-based with a `member` segment. */
function coral(at: Path, member: string): string {
  return [...at.map((p) => (typeof p === 'number' ? `${p + 1}.member` : p)), member].join('.');
}

function without(body: Record<string, unknown>, at: Path, member: string): Record<string, unknown> {
  let node: unknown = body;
  for (const step of at) node = (node as Record<string | number, unknown>)[step];
  delete (node as Record<string, unknown>)[member];
  return body;
}

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emu.close();
});

async function converse(model: string, body: unknown): Promise<{ status: number; message: string }> {
  const res = await fetch(`${emu.url}/model/${encodeURIComponent(model)}/converse`, {
    method: 'POST',
    headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { message?: string };
  return { status: res.status, message: json.message ?? '' };
}

describe.skipIf(REQUIRED === undefined)('required members of the Converse service model', () => {
  const required = Object.entries(REQUIRED ?? {});

  it('the full bodies are valid, and every required structure is placed or exempted with a reason', async () => {
    expect(await converse(SONNET, claudeBody())).toMatchObject({ status: 200 });
    expect(await converse(NOVA_LITE, novaBody())).toMatchObject({ status: 200 });
    const uncovered = required.map(([path]) => path).filter((path) => !WHERE[path] && !NOT_VALIDATED[path]);
    expect(uncovered).toEqual([]);
    expect(required.length).toBeGreaterThan(15);
  });

  const cases = required.flatMap(([path, members]) =>
    WHERE[path] ? members.map((member) => ({ name: `${path}.${member}`, path, member })) : [],
  );
  it.each(cases)('$name absent → Value null', async ({ path, member }) => {
    const where = WHERE[path];
    if (!where) throw new Error(`no placement for ${path}`);
    const { status, message } = await converse(where.model, without(where.body(), where.at, member));
    expect(status).toBe(400);
    expect(message).toBe(
      `1 validation error detected: Value null at '${coral(where.at, member)}' failed to satisfy constraint: Member must not be null`,
    );
  });
});
