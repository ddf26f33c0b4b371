import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signReasoning } from '../src/converse/reasoning.js';
import { type RunningEmulator, startEmulator } from '../src/index.js';
import { DEFAULT_SIGNATURE_SECRET } from '../src/options.js';

const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const HAIKU3 = 'anthropic.claude-3-haiku-20240307-v1:0';
const LLAMA = 'meta.llama3-1-8b-instruct-v1:0';
const TITAN = 'amazon.titan-text-express-v1';
const NOVA_LITE = 'amazon.nova-lite-v1:0';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]).toString(
  'base64',
);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(32)]).toString('base64');
const PDF = Buffer.from('%PDF-1.4 test').toString('base64');

const user = (...content: unknown[]) => ({ role: 'user', content });
const assistant = (...content: unknown[]) => ({ role: 'assistant', content });
const text = (t: string) => ({ text: t });
const tools = (...names: string[]) => ({
  tools: names.map((name) => ({ toolSpec: { name, inputSchema: { json: { type: 'object', properties: {} } } } })),
});
const image = (format: string, bytes = PNG) => ({ image: { format, source: { bytes } } });
const doc = (name: string, extra: Record<string, unknown> = {}) => ({
  document: { format: 'pdf', name, source: { bytes: PDF }, ...extra },
});
const thinking = (budget: number) => ({ thinking: { type: 'enabled', budget_tokens: budget } });

interface Case {
  name: string;
  model?: string;
  body: Record<string, unknown>;
  message: string | RegExp;
}

const CASES: Case[] = [
  {
    name: 'unknown model id',
    model: 'anthropic.claude-9-nonexistent-v1:0',
    body: { messages: [user(text('hi'))] },
    message: 'The provided model identifier is invalid.',
  },
  {
    name: 'profile prefix that does not contain the model',
    model: 'global.anthropic.claude-3-haiku-20240307-v1:0',
    body: { messages: [user(text('hi'))] },
    message: 'The provided model identifier is invalid.',
  },
  {
    name: 'foundation id of a profile-only model',
    model: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    body: { messages: [user(text('hi'))] },
    message:
      /^Invocation of model ID anthropic\.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported\./,
  },
  {
    name: 'Converse on an embedding model',
    model: 'amazon.titan-embed-text-v2:0',
    body: { messages: [user(text('hi'))] },
    message: "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
  },
  {
    name: 'first message is assistant',
    body: { messages: [assistant(text('hi')), user(text('hi'))] },
    message:
      'A conversation must start with a user message. Try again with a conversation that starts with a user message.',
  },
  {
    name: 'roles do not alternate',
    body: { messages: [user(text('a')), user(text('b'))] },
    message:
      'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
  },
  {
    name: 'blank text block',
    body: { messages: [user(text('  '))] },
    message:
      'The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again.',
  },
  {
    name: 'blank system text',
    body: { system: [{ text: '' }], messages: [user(text('hi'))] },
    message:
      'The text field in the SystemContentBlock object at system.0 is blank. Add text to the text field, and try again.',
  },
  {
    name: 'empty content list',
    body: { messages: [{ role: 'user', content: [] }] },
    message:
      'The content field in the Message object at messages.0 is empty. Add a ContentBlock object to the content field and try again.',
  },
  {
    name: 'two members in one content block union',
    body: { messages: [user({ text: 'a', image: { format: 'png', source: { bytes: PNG } } })] },
    message: /exactly one member of the union ContentBlock must be set at messages\.0\.content\.0/,
  },
  {
    name: 'unknown top-level key',
    body: { messages: [user(text('hi'))], temperature: 0.5 },
    message:
      'Malformed input request: extraneous key [temperature] is not permitted, please reformat your input and try again.',
  },
  {
    name: 'unknown nested key',
    body: { messages: [user(text('hi'))], inferenceConfig: { max_tokens: 10 } },
    message:
      'Malformed input request: extraneous key [max_tokens] is not permitted, please reformat your input and try again.',
  },
  {
    name: 'unknown role',
    body: { messages: [{ role: 'system', content: [text('hi')] }] },
    message:
      "1 validation error detected: Value 'system' at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]",
  },
  {
    name: 'toolUse without toolConfig',
    body: {
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
        user({ toolResult: { toolUseId: 'tooluse_1', content: [text('ok')] } }),
      ],
    },
    message: 'The toolConfig field must be defined when using toolUse and toolResult content blocks.',
  },
  {
    name: 'toolResult id that the previous turn did not use',
    body: {
      toolConfig: tools('f'),
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
        user({ toolResult: { toolUseId: 'tooluse_2', content: [text('ok')] } }),
      ],
    },
    message:
      'messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: tooluse_2. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
  },
  {
    name: 'toolUse left unanswered',
    body: {
      toolConfig: tools('f', 'g'),
      messages: [
        user(text('hi')),
        assistant(
          { toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } },
          { toolUse: { toolUseId: 'tooluse_2', name: 'g', input: {} } },
        ),
        user({ toolResult: { toolUseId: 'tooluse_1', content: [text('ok')] } }),
      ],
    },
    message: 'Expected toolResult blocks at messages.2.content for the following Ids: tooluse_2',
  },
  {
    name: 'more toolResults than toolUses',
    body: {
      toolConfig: tools('f'),
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
        user(
          { toolResult: { toolUseId: 'tooluse_1', content: [text('ok')] } },
          { toolResult: { toolUseId: 'tooluse_1', content: [text('again')] } },
        ),
      ],
    },
    message:
      'The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn.',
  },
  {
    name: 'toolResult with status error and no content',
    body: {
      toolConfig: tools('f'),
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
        user({ toolResult: { toolUseId: 'tooluse_1', content: [], status: 'error' } }),
      ],
    },
    message: 'The content field at messages.2.content.0.toolResult cannot be empty when status value is error.',
  },
  {
    name: 'tool name with a forbidden character',
    body: { toolConfig: tools('get weather'), messages: [user(text('hi'))] },
    message:
      "1 validation error detected: Value 'get weather' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_-]+$",
  },
  {
    name: 'tool name longer than 64',
    body: { toolConfig: tools('x'.repeat(65)), messages: [user(text('hi'))] },
    message:
      /at 'toolConfig\.tools\.1\.member\.toolSpec\.name' failed to satisfy constraint: Member must have length less than or equal to 64$/,
  },
  {
    name: 'toolUseId with a forbidden character',
    body: {
      toolConfig: tools('f'),
      messages: [user(text('hi')), assistant({ toolUse: { toolUseId: 'tool use', name: 'f', input: {} } })],
    },
    message:
      /Value 'tool use' at 'messages\.2\.member\.content\.1\.member\.toolUse\.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern/,
  },
  {
    name: 'toolChoice any on a model without forced tool use',
    model: LLAMA,
    body: { toolConfig: { ...tools('f'), toolChoice: { any: {} } }, messages: [user(text('hi'))] },
    message:
      "This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again.",
  },
  {
    name: 'toolChoice tool on a model without forced tool use',
    model: LLAMA,
    body: { toolConfig: { ...tools('f'), toolChoice: { tool: { name: 'f' } } }, messages: [user(text('hi'))] },
    message:
      "This model doesn't support the toolConfig.toolChoice.tool field. Remove toolConfig.toolChoice.tool and try again.",
  },
  {
    name: 'tools on a model without tool use',
    model: TITAN,
    body: { toolConfig: tools('f'), messages: [user(text('hi'))] },
    message: "This model doesn't support tool use.",
  },
  {
    name: 'system prompt on a model without system support',
    model: TITAN,
    body: { system: [{ text: 'be brief' }], messages: [user(text('hi'))] },
    message: "This model doesn't support system messages. Try again without system messages.",
  },
  {
    name: 'cachePoint as the first block',
    body: { messages: [user({ cachePoint: { type: 'default' } }, text('hi'))] },
    message: /^The cachePoint at messages\.0\.content\.0 must follow a content block/,
  },
  {
    name: 'cachePoint first in system',
    body: { system: [{ cachePoint: { type: 'default' } }, { text: 'x' }], messages: [user(text('hi'))] },
    message: /^The cachePoint at system\.0 must follow a content block/,
  },
  {
    name: 'cachePoint inside a toolResult',
    body: {
      toolConfig: tools('f'),
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
        user({ toolResult: { toolUseId: 'tooluse_1', content: [{ cachePoint: { type: 'default' } }] } }),
      ],
    },
    message:
      'Malformed input request: extraneous key [cachePoint] is not permitted, please reformat your input and try again.',
  },
  {
    name: 'more than four cachePoints',
    body: {
      system: [{ text: 'a' }, { cachePoint: { type: 'default' } }, { text: 'b' }, { cachePoint: { type: 'default' } }],
      messages: [
        user(
          text('c'),
          { cachePoint: { type: 'default' } },
          text('d'),
          { cachePoint: { type: 'default' } },
          text('e'),
          {
            cachePoint: { type: 'default' },
          },
        ),
      ],
    },
    message: 'A maximum of 4 blocks with cache_control may be provided. Found 5.',
  },
  {
    name: 'cachePoint on a model without prompt caching',
    model: HAIKU3,
    body: { messages: [user(text('hi'), { cachePoint: { type: 'default' } })] },
    message:
      'You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.',
  },
  {
    name: 'cachePoint ttl outside the enum',
    body: { messages: [user(text('hi'), { cachePoint: { type: 'default', ttl: '2h' } })] },
    message:
      /Value '2h' at 'messages\.1\.member\.content\.2\.member\.cachePoint\.ttl' failed to satisfy constraint: Member must satisfy enum value set: \[5m, 1h\]/,
  },
  {
    name: 'image format jpg instead of jpeg',
    body: { messages: [user(text('look'), image('jpg'))] },
    message:
      "1 validation error detected: Value 'jpg' at 'messages.1.member.content.2.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]",
  },
  {
    name: 'image bytes that are not the declared format',
    body: { messages: [user(text('look'), image('png', JPEG))] },
    message: 'Unable to process the image at messages.0.content.1.image: the image bytes are not a valid png image.',
  },
  {
    name: 'image over 3.75 MB',
    body: {
      messages: [
        user(
          text('look'),
          image(
            'png',
            Buffer.concat([Buffer.from(PNG, 'base64'), Buffer.alloc(3.75 * 1024 * 1024)]).toString('base64'),
          ),
        ),
      ],
    },
    message: /^The image at messages\.0\.content\.1\.image is \d+ bytes; the maximum image size is 3\.75 MB\.$/,
  },
  {
    name: 'more than 20 images',
    body: { messages: [user(text('look'), ...Array.from({ length: 21 }, () => image('png')))] },
    message: 'Too many images in the request: the maximum is 20.',
  },
  {
    name: 'image in an assistant turn',
    body: { messages: [user(text('hi')), assistant(text('see'), image('png')), user(text('ok'))] },
    message: 'The image content block at messages.1.content.1 is only allowed in user messages.',
  },
  {
    name: 'image on a text-only model',
    model: 'amazon.nova-micro-v1:0',
    body: { messages: [user(text('look'), image('png'))] },
    message:
      "This model doesn't support the image content block that you provided. Try again with a supported content block.",
  },
  {
    name: 'document name with a forbidden character',
    body: { messages: [user(text('read'), doc('report.pdf'))] },
    message:
      /^The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets\./,
  },
  {
    name: 'document name with two consecutive spaces',
    body: { messages: [user(text('read'), doc('my  report'))] },
    message: /^The document file name can only contain/,
  },
  {
    name: 'document name longer than 200',
    body: { messages: [user(text('read'), doc('a'.repeat(201)))] },
    message:
      /at 'messages\.1\.member\.content\.2\.member\.document\.name' failed to satisfy constraint: Member must have length less than or equal to 200$/,
  },
  {
    name: 'document format outside the enum',
    body: { messages: [user(text('read'), { document: { format: 'rtf', name: 'r', source: { bytes: PDF } } })] },
    message:
      /Value 'rtf' at 'messages\.1\.member\.content\.2\.member\.document\.format' failed to satisfy constraint: Member must satisfy enum value set: \[pdf, csv, doc, docx, xls, xlsx, html, txt, md\]/,
  },
  {
    name: 'document without a sibling text block',
    body: { messages: [user(doc('report'))] },
    message:
      'The message at messages.0 contains a document but no text block. A document must be sent together with a text block in the same message.',
  },
  {
    name: 'more than five documents',
    body: { messages: [user(text('read'), ...Array.from({ length: 6 }, (_, i) => doc(`doc ${i}`)))] },
    message: 'Too many documents in the request: the maximum is 5.',
  },
  {
    name: 'document over 4.5 MB',
    body: {
      messages: [
        user(text('read'), {
          document: {
            format: 'pdf',
            name: 'big',
            source: {
              bytes: Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(4.5 * 1024 * 1024)]).toString('base64'),
            },
          },
        }),
      ],
    },
    message: /^The document at messages\.0\.content\.1\.document is \d+ bytes; the maximum document size is 4\.5 MB\.$/,
  },
  {
    name: 'video on a model without video input',
    body: { messages: [user(text('watch'), { video: { format: 'mp4', source: { bytes: PNG } } })] },
    message:
      "This model doesn't support the video content block that you provided. Try again with a supported content block.",
  },
  {
    name: 'video format outside the enum',
    model: 'amazon.nova-lite-v1:0',
    body: { messages: [user(text('watch'), { video: { format: 'avi', source: { bytes: PNG } } })] },
    message:
      /Value 'avi' at 'messages\.1\.member\.content\.2\.member\.video\.format' failed to satisfy constraint: Member must satisfy enum value set: \[mkv, mov, mp4/,
  },
  {
    name: 'guardContent image format outside png/jpeg',
    body: { messages: [user(text('x'), { guardContent: { image: { format: 'gif', source: { bytes: PNG } } } })] },
    message:
      /Value 'gif' at 'messages\.1\.member\.content\.2\.member\.guardContent\.image\.format' failed to satisfy constraint: Member must satisfy enum value set: \[png, jpeg\]/,
  },
  {
    name: 'maxTokens zero',
    body: { messages: [user(text('hi'))], inferenceConfig: { maxTokens: 0 } },
    message:
      "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1",
  },
  {
    name: 'maxTokens over the model limit',
    model: HAIKU3,
    body: { messages: [user(text('hi'))], inferenceConfig: { maxTokens: 5000 } },
    message:
      'The maximum tokens you requested exceeds the model limit of 4096. Try again with a maximum tokens value that is lower than 4096.',
  },
  {
    name: 'temperature above 1',
    body: { messages: [user(text('hi'))], inferenceConfig: { temperature: 1.5 } },
    message:
      "1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1",
  },
  {
    name: 'topP below 0',
    body: { messages: [user(text('hi'))], inferenceConfig: { topP: -0.1 } },
    message:
      "1 validation error detected: Value '-0.1' at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value greater than or equal to 0",
  },
  {
    name: 'empty stop sequence',
    body: { messages: [user(text('hi'))], inferenceConfig: { stopSequences: [''] } },
    message:
      "1 validation error detected: Value '' at 'inferenceConfig.stopSequences.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
  },
  {
    name: 'thinking on a model without reasoning',
    model: HAIKU3,
    body: { messages: [user(text('hi'))], additionalModelRequestFields: thinking(2048) },
    message:
      'Malformed input request: extraneous key [thinking] is not permitted, please reformat your input and try again.',
  },
  {
    name: 'thinking budget below 1024',
    body: { messages: [user(text('hi'))], additionalModelRequestFields: thinking(1000) },
    message: 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024',
  },
  {
    name: 'thinking budget not below maxTokens',
    body: {
      messages: [user(text('hi'))],
      inferenceConfig: { maxTokens: 2000 },
      additionalModelRequestFields: thinking(2000),
    },
    message: /^`max_tokens` must be greater than `thinking\.budget_tokens`\./,
  },
  {
    name: 'thinking with a modified temperature',
    body: {
      messages: [user(text('hi'))],
      inferenceConfig: { temperature: 0.2 },
      additionalModelRequestFields: thinking(2048),
    },
    message: /^`temperature` may only be set to 1 when thinking is enabled\./,
  },
  {
    name: 'thinking with top_k',
    body: { messages: [user(text('hi'))], additionalModelRequestFields: { ...thinking(2048), top_k: 5 } },
    message: /^`top_k` must be unset when thinking is enabled\./,
  },
  {
    name: 'thinking with forced tool use',
    body: {
      messages: [user(text('hi'))],
      toolConfig: { ...tools('f'), toolChoice: { any: {} } },
      additionalModelRequestFields: thinking(2048),
    },
    message: 'Thinking may not be enabled when tool_choice forces tool use.',
  },
  {
    name: 'reasoning text whose signature does not verify',
    body: {
      messages: [
        user(text('hi')),
        assistant(
          {
            reasoningContent: {
              reasoningText: { text: 'changed', signature: signReasoning('original', DEFAULT_SIGNATURE_SECRET) },
            },
          },
          text('answer'),
        ),
        user(text('more')),
      ],
    },
    message: 'messages.1.content.0: Invalid `signature` in `thinking` block',
  },
  {
    name: 'reasoning text without a signature',
    body: {
      messages: [
        user(text('hi')),
        assistant({ reasoningContent: { reasoningText: { text: 'thinking' } } }, text('answer')),
        user(text('more')),
      ],
    },
    message: 'messages.1.content.0.thinking.signature: Field required',
  },
  {
    name: 'reasoning block after text',
    body: {
      messages: [
        user(text('hi')),
        assistant(text('answer'), {
          reasoningContent: { reasoningText: { text: 't', signature: signReasoning('t', DEFAULT_SIGNATURE_SECRET) } },
        }),
        user(text('more')),
      ],
    },
    message:
      'messages.1.content.1: reasoningContent blocks must come before any other content in an assistant message.',
  },
  {
    name: 'redactedContent that the emulator did not produce',
    body: {
      messages: [
        user(text('hi')),
        assistant({ reasoningContent: { redactedContent: Buffer.alloc(48).toString('base64') } }, text('a')),
        user(text('b')),
      ],
    },
    message: 'messages.1.content.0: Invalid `data` in `redacted_thinking` block',
  },
  {
    name: 'temperature and topP together on a model that takes one of them',
    body: { messages: [user(text('hi'))], inferenceConfig: { temperature: 0.5, topP: 0.9 } },
    message: '`temperature` and `top_p` cannot both be specified for this model. Please use only one.',
  },
  {
    name: 'assistant prefill while thinking is enabled',
    body: {
      messages: [user(text('Name a colour')), assistant(text('The colour is'))],
      inferenceConfig: { maxTokens: 4096 },
      additionalModelRequestFields: thinking(2048),
    },
    message:
      /^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `text`\. When `thinking` is enabled, a final `assistant` message must start with a thinking block/,
  },
  {
    name: 'text before the toolResult in the user turn answering a tool call',
    body: {
      toolConfig: tools('f'),
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
        user(text('here it is'), { toolResult: { toolUseId: 'tooluse_1', content: [text('ok')] } }),
      ],
    },
    message:
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: tooluse_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
  },
  {
    name: 'tool-use turn without its reasoning blocks while thinking is enabled',
    body: {
      toolConfig: tools('f'),
      inferenceConfig: { maxTokens: 4096 },
      additionalModelRequestFields: thinking(2048),
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
        user({ toolResult: { toolUseId: 'tooluse_1', content: [text('ok')] } }),
      ],
    },
    message: /^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`\./,
  },
  {
    name: 'additionalModelRequestFields key the Llama body does not take',
    model: LLAMA,
    body: { messages: [user(text('hi'))], additionalModelRequestFields: { top_k: 5 } },
    message:
      'Malformed input request: extraneous key [top_k] is not permitted, please reformat your input and try again.',
  },
  {
    name: 'Anthropic-style top_k on Nova (Nova reads inferenceConfig.topK)',
    model: NOVA_LITE,
    body: { messages: [user(text('hi'))], additionalModelRequestFields: { top_k: 5 } },
    message:
      'Malformed input request: extraneous key [top_k] is not permitted, please reformat your input and try again.',
  },
  {
    name: 'top_k on Mistral Large 24.07 (chat-completion body without top_k)',
    model: 'mistral.mistral-large-2407-v1:0',
    body: { messages: [user(text('hi'))], additionalModelRequestFields: { top_k: 5 } },
    message:
      'Malformed input request: extraneous key [top_k] is not permitted, please reformat your input and try again.',
  },
  {
    name: 'top_k on Cohere Command R (its field is k)',
    model: 'cohere.command-r-v1:0',
    body: { messages: [user(text('hi'))], additionalModelRequestFields: { top_k: 5 } },
    message:
      'Malformed input request: extraneous key [top_k] is not permitted, please reformat your input and try again.',
  },
  {
    name: 'cachePoint in toolConfig.tools on Nova',
    model: NOVA_LITE,
    body: {
      toolConfig: { tools: [...tools('f').tools, { cachePoint: { type: 'default' } }] },
      messages: [user(text('hi'))],
    },
    message:
      "This model doesn't support cache checkpoints in toolConfig.tools. Remove the cachePoint at toolConfig.tools.1 and try again.",
  },
  {
    name: 'cachePoint ttl 1h on Nova',
    model: NOVA_LITE,
    body: { messages: [user(text('hi'), { cachePoint: { type: 'default', ttl: '1h' } })] },
    message:
      "This model doesn't support the 1h cache TTL at messages.0.content.1.cachePoint.ttl. Remove ttl or set it to 5m and try again.",
  },
  {
    name: 'cachePoint ttl 1h on a Claude model before 4.5',
    model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
    body: { system: [{ text: 'x' }, { cachePoint: { type: 'default', ttl: '1h' } }], messages: [user(text('hi'))] },
    message:
      "This model doesn't support the 1h cache TTL at system.1.cachePoint.ttl. Remove ttl or set it to 5m and try again.",
  },
  {
    name: 'requestMetadata value with a forbidden character',
    body: { messages: [user(text('hi'))], requestMetadata: { team: 'a&b' } },
    message:
      /Value 'a&b' at 'requestMetadata\.team' failed to satisfy constraint: Member must satisfy regular expression pattern/,
  },
  {
    name: 'requestMetadata with more than 16 entries',
    body: {
      messages: [user(text('hi'))],
      requestMetadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
    },
    message: /at 'requestMetadata' failed to satisfy constraint: Member must have length less than or equal to 16$/,
  },
  {
    name: 'structured output schema that is not JSON',
    body: {
      messages: [user(text('hi'))],
      outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{not json' } } } },
    },
    message: 'The JSON schema in outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON.',
  },
  {
    name: 'structured output on a model without it',
    model: HAIKU3,
    body: {
      messages: [user(text('hi'))],
      outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{}' } } } },
    },
    message:
      "This model doesn't support the outputConfig.textFormat field. Remove outputConfig.textFormat and try again.",
  },
  {
    name: 'input longer than the context window',
    model: 'meta.llama3-8b-instruct-v1:0',
    body: { messages: [user(text('x'.repeat(8193 * 4)))] },
    message: 'Input is too long for requested model.',
  },
  // A required member that is absent is AWS's null form, never "Value 'undefined'".
  {
    name: 'message without role',
    body: { messages: [{ content: [text('hi')] }] },
    message:
      "1 validation error detected: Value null at 'messages.1.member.role' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'message without content',
    body: { messages: [user(text('hi')), { role: 'assistant' }] },
    message:
      "1 validation error detected: Value null at 'messages.2.member.content' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'image without format',
    body: { messages: [user({ image: { source: { bytes: PNG } } }, text('x'))] },
    message:
      "1 validation error detected: Value null at 'messages.1.member.content.1.member.image.format' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'toolUse without input',
    body: {
      messages: [user(text('hi')), assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f' } })],
      toolConfig: tools('f'),
    },
    message:
      "1 validation error detected: Value null at 'messages.2.member.content.1.member.toolUse.input' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'toolSpec without inputSchema',
    body: { messages: [user(text('hi'))], toolConfig: { tools: [{ toolSpec: { name: 'f' } }] } },
    message:
      "1 validation error detected: Value null at 'toolConfig.tools.1.member.toolSpec.inputSchema' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'cachePoint without type',
    body: { messages: [user(text('hi'), { cachePoint: {} })] },
    message:
      "1 validation error detected: Value null at 'messages.1.member.content.2.member.cachePoint.type' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'serviceTier without type',
    body: { messages: [user(text('hi'))], serviceTier: {} },
    message:
      "1 validation error detected: Value null at 'serviceTier.type' failed to satisfy constraint: Member must not be null",
  },
  {
    name: 'document with empty bytes',
    body: { messages: [user({ document: { format: 'pdf', name: 'a', source: { bytes: '' } } }, text('x'))] },
    message:
      "1 validation error detected: Value at 'messages.1.member.content.1.member.document.source.bytes' failed to satisfy constraint: Member must have length greater than or equal to 1",
  },
  {
    name: 'image with empty bytes',
    body: { messages: [user(image('png', ''))] },
    message:
      "1 validation error detected: Value at 'messages.1.member.content.1.member.image.source.bytes' failed to satisfy constraint: Member must have length greater than or equal to 1",
  },
  {
    name: 'empty text block inside a toolResult',
    body: {
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
        user({ toolResult: { toolUseId: 'tooluse_1', content: [text('')] } }),
      ],
      toolConfig: tools('f'),
    },
    message:
      'The text field in the ToolResultContentBlock object at messages.2.content.0.toolResult.content.0 is blank. Add text to the text field, and try again.',
  },
];

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emu.close();
});

describe('Converse validation (one case per rule)', () => {
  it.each(CASES)('$name', async ({ model, body, message }) => {
    const response = await fetch(`${emu.url}/model/${encodeURIComponent(model ?? SONNET)}/converse`, {
      method: 'POST',
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { message: string };
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe(
      'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/',
    );
    expect(response.headers.get('x-amzn-requestid')).toBeTruthy();
    if (typeof message === 'string') expect(json.message).toBe(message);
    else expect(json.message).toMatch(message);
  });

  // The counterparts of the rules above that Bedrock accepts, so each rule is shown to be narrow.
  it.each<{ name: string; model?: string; body: Record<string, unknown> }>([
    {
      name: 'temperature alone on Claude Sonnet 4.5',
      body: { messages: [user(text('hi'))], inferenceConfig: { temperature: 0.5 } },
    },
    {
      name: 'temperature and topP together on Claude 3 Haiku',
      model: HAIKU3,
      body: { messages: [user(text('hi'))], inferenceConfig: { temperature: 0.5, topP: 0.9 } },
    },
    {
      name: 'an assistant prefill without thinking',
      body: { messages: [user(text('Name a colour')), assistant(text('The colour is'))] },
    },
    {
      name: 'toolResult first, then text, in the answering user turn',
      body: {
        toolConfig: tools('f'),
        messages: [
          user(text('hi')),
          assistant(text('calling'), { toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
          user({ toolResult: { toolUseId: 'tooluse_1', content: [text('ok')] } }, text('and more')),
        ],
      },
    },
    {
      name: 'thinking on with an earlier tool turn without reasoning, when the last turn is a new question',
      body: {
        toolConfig: tools('f'),
        inferenceConfig: { maxTokens: 4096 },
        additionalModelRequestFields: thinking(2048),
        messages: [
          user(text('hi')),
          assistant({ toolUse: { toolUseId: 'tooluse_1', name: 'f', input: {} } }),
          user({ toolResult: { toolUseId: 'tooluse_1', content: [text('ok')] } }),
          assistant(text('done')),
          user(text('next question')),
        ],
      },
    },
    {
      name: 'Nova inferenceConfig.topK',
      model: NOVA_LITE,
      body: { messages: [user(text('hi'))], additionalModelRequestFields: { inferenceConfig: { topK: 5 } } },
    },
    {
      name: 'Mistral 7B top_k',
      model: 'mistral.mistral-7b-instruct-v0:2',
      body: { messages: [user(text('hi'))], additionalModelRequestFields: { top_k: 5 } },
    },
    {
      name: 'Cohere k',
      model: 'cohere.command-r-v1:0',
      body: { messages: [user(text('hi'))], additionalModelRequestFields: { k: 5 } },
    },
    {
      name: 'Nova cache points in system and messages',
      model: NOVA_LITE,
      body: {
        system: [{ text: 'sys' }, { cachePoint: { type: 'default' } }],
        messages: [user(text('hi'), { cachePoint: { type: 'default' } })],
      },
    },
    {
      name: 'Nova Premier caches too',
      model: 'us.amazon.nova-premier-v1:0',
      body: { messages: [user(text('hi'), { cachePoint: { type: 'default' } })] },
    },
    {
      name: 'ttl 1h and tool cache points on Claude Sonnet 4.5',
      body: {
        toolConfig: { tools: [...tools('f').tools, { cachePoint: { type: 'default', ttl: '1h' } }] },
        messages: [user(text('hi'), { cachePoint: { type: 'default', ttl: '1h' } })],
      },
    },
  ])('accepts $name', async ({ model, body }) => {
    const response = await fetch(`${emu.url}/model/${encodeURIComponent(model ?? SONNET)}/converse`, {
      method: 'POST',
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  });

  it('the same rules guard ConverseStream before the stream starts', async () => {
    const response = await fetch(`${emu.url}/model/${encodeURIComponent(SONNET)}/converse-stream`, {
      method: 'POST',
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5', 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [user(text('a')), user(text('b'))] }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json');
  });
});
