/**
 * Images and documents through the official openai SDK: data-URI images of every Bedrock format (the
 * format read from the bytes), http(s) image URLs fetched by the gateway from a local server (and refused
 * for private, loopback and metadata addresses, also after a redirect), PDF `file` parts with stable
 * document names, and the capability table's 400s for models that take no images or documents.
 *
 * The emulator checks every image's bytes against its declared format and charges 1,000 tokens per
 * image; a document costs ceil(bytes / 4) tokens; it replies `Echo: <last user text>`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaFetcher } from '../../gateway/src/fetch/index.js';
import { apiError, collect, type GatewayUsage, M, tokens, useChatStack } from './chat-stack.js';

// Smallest byte strings carrying each format's signature; the emulator checks signatures, not pixels.
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(24, 1)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(24, 2)]);
const GIF = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.alloc(24, 3)]);
const WEBP = Buffer.concat([
  Buffer.from('RIFF', 'latin1'),
  Buffer.from([0x20, 0, 0, 0]),
  Buffer.from('WEBPVP8 ', 'latin1'),
  Buffer.alloc(20, 4),
]);
const BMP = Buffer.concat([Buffer.from('BM', 'latin1'), Buffer.alloc(30, 5)]);

function dataUri(mime: string, bytes: Buffer): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

function imageMessage(url: string, text = 'what is in this picture'): OpenAI.ChatCompletionMessageParam[] {
  return [
    {
      role: 'user',
      content: [
        { type: 'text', text },
        { type: 'image_url', image_url: { url } },
      ],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// A local image server, reached through host names the test resolver maps (the fetcher's resolver
// option), so the address policy is exercised exactly as with real DNS.

const served = new Map<string, { status?: number; type?: string; body?: Buffer; location?: string; hang?: boolean }>([
  ['/cat.png', { type: 'image/png', body: PNG }],
  ['/cat.jpg', { type: 'image/jpeg', body: JPEG }],
  ['/octet.webp', { type: 'application/octet-stream', body: WEBP }],
  ['/mislabelled.gif', { type: 'image/png', body: GIF }],
  ['/huge.png', { type: 'image/png', body: Buffer.concat([PNG, Buffer.alloc(300_000)]) }],
  ['/page.html', { type: 'text/html', body: Buffer.from('<html></html>') }],
  ['/missing.png', { status: 404 }],
  ['/to-metadata', { status: 302, location: 'http://metadata.test/latest/meta-data/iam' }],
  ['/to-cat', { status: 301, location: '/cat.png' }],
  ['/slow.png', { hang: true }],
]);
const requested: string[] = [];
let imageServer: Server;
let port = 0;

beforeAll(async () => {
  imageServer = createServer((req, res) => {
    requested.push(`${req.headers.host}${req.url}`);
    const entry = served.get(req.url ?? '');
    if (!entry) {
      res.writeHead(404).end();
      return;
    }
    if (entry.hang) return; // never answers: the fetcher's time limit must end it
    const headers: Record<string, string> = {};
    if (entry.type) headers['content-type'] = entry.type;
    if (entry.location) headers.location = entry.location;
    res.writeHead(entry.status ?? 200, headers).end(entry.body);
  });
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
  port = (imageServer.address() as AddressInfo).port;
});
afterAll(async () => {
  imageServer.closeAllConnections();
  await new Promise((resolve) => imageServer.close(resolve));
});

const HOSTS: Record<string, string> = {
  'images.test': '127.0.0.1', // the in-cluster asset server, allowed to be private
  'metadata.test': '169.254.169.254',
  'intranet.test': '10.20.30.40',
  'sneaky.test': '127.0.0.1', // a public-looking name that resolves to loopback
  'v6meta.test': 'fd00:ec2::254',
};

const fetcher = new MediaFetcher({
  allowHttp: true,
  allowPrivateHosts: ['images.test'],
  maxBytes: 256 * 1024,
  timeoutMs: 400,
  resolve: async (hostname) => {
    const address = HOSTS[hostname];
    if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  },
});

const chat = useChatStack({ mediaFetcher: fetcher });

// ---------------------------------------------------------------------------------------------

describe.each([
  ['Anthropic', M.sonnet45],
  ['Nova', M.novaLite],
  ['Llama 3.2 vision', M.llama32Vision],
])('data-URI images on %s', (_family, model) => {
  it.each([
    ['image/png', 'png', PNG, 'png'],
    ['image/jpeg', 'jpeg', JPEG, 'jpeg'],
    ['image/jpg', 'jpeg', JPEG, 'jpeg'],
    ['image/gif', 'gif', GIF, 'gif'],
    ['image/webp', 'webp', WEBP, 'webp'],
    // The bytes decide: a PNG labelled JPEG is sent as png (Bedrock rejects a format that does not match).
    ['image/jpeg', 'png', PNG, 'png'],
    ['application/octet-stream', 'gif', GIF, 'gif'],
  ])('%s carrying %s bytes reaches Bedrock with that format (stream and not)', async (mime, _label, bytes, format) => {
    const messages = imageMessage(dataUri(mime, bytes));
    const res = await chat.client.chat.completions.create({ model, messages });
    expect(res.choices[0]!.message.content).toBe('Echo: what is in this picture');
    // 1,000 tokens for the image plus the text: the image reached the model.
    expect(res.usage!.prompt_tokens).toBe(1000 + tokens('what is in this picture'));
    expect(chat.lastBody().messages[0]!.content[1]).toEqual({
      image: { format, source: { bytes: bytes.toString('base64') } },
    });
    const got = await collect(
      await chat.client.chat.completions.create({
        model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(got.content).toBe('Echo: what is in this picture');
    expect(got.usage!.prompt_tokens).toBe(1000 + tokens('what is in this picture'));
  });
});

describe('images the gateway refuses before any upstream call', () => {
  it('an unsupported format (BMP) is a 400 naming the part, not a 500 (LiteLLM #6204)', async () => {
    const before = chat.callCount();
    const err = await apiError(
      chat.client.chat.completions.create({ model: M.sonnet45, messages: imageMessage(dataUri('image/bmp', BMP)) }),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe('messages[0].content[1].image_url.url');
    expect(err.message).toMatch(/PNG, JPEG, GIF or WebP/);
    expect(chat.callCount()).toBe(before);
  });

  it('an image over 3.75 MB is a 400', async () => {
    const big = Buffer.concat([PNG, Buffer.alloc(4 * 1024 * 1024)]);
    const err = await apiError(
      chat.client.chat.completions.create({ model: M.sonnet45, messages: imageMessage(dataUri('image/png', big)) }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/3\.75 MB/);
  });

  it.each([
    ['Nova Micro', M.novaMicro],
    ['Claude 3.5 Haiku', M.haiku35],
    ['Llama 3.3', M.llama33],
    ['Mistral Large', M.mistralLarge],
  ])('%s takes no images: 400 naming the model, stream and not', async (_name, model) => {
    const before = chat.callCount();
    for (const stream of [false, true]) {
      const err = await apiError(
        chat.client.chat.completions.create({ model, stream, messages: imageMessage(dataUri('image/png', PNG)) }),
      );
      expect(err.status).toBe(400);
      expect(err.param).toBe('messages[0].content[1]');
      expect(err.message).toContain(model);
    }
    expect(chat.callCount()).toBe(before);
  });

  it('more than 20 images in one turn is a 400 (Bedrock limit)', async () => {
    const parts: OpenAI.ChatCompletionContentPart[] = [{ type: 'text', text: 'many' }];
    for (let i = 0; i < 21; i++) parts.push({ type: 'image_url', image_url: { url: dataUri('image/png', PNG) } });
    const err = await apiError(
      chat.client.chat.completions.create({ model: M.sonnet45, messages: [{ role: 'user', content: parts }] }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/at most 20/);
  });
});

describe('http(s) image URLs fetched by the gateway', () => {
  it.each([
    ['/cat.png', 'png', PNG],
    ['/cat.jpg', 'jpeg', JPEG],
    ['/octet.webp', 'webp', WEBP],
    ['/mislabelled.gif', 'gif', GIF],
    ['/to-cat', 'png', PNG],
  ])(
    '%s from an allowed private host arrives as %s bytes (Anthropic and Nova, stream and not)',
    async (path, format, bytes) => {
      const url = `http://images.test:${port}${path}`;
      for (const model of [M.sonnet45, M.novaLite]) {
        const res = await chat.client.chat.completions.create({ model, messages: imageMessage(url) });
        expect(res.choices[0]!.message.content).toBe('Echo: what is in this picture');
        expect(chat.lastBody().messages[0]!.content[1]).toEqual({
          image: { format, source: { bytes: bytes.toString('base64') } },
        });
        const got = await collect(
          await chat.client.chat.completions.create({ model, messages: imageMessage(url), stream: true }),
        );
        expect(got.content).toBe('Echo: what is in this picture');
      }
    },
  );

  it.each([
    ['cloud metadata address', 'http://metadata.test/latest/meta-data/', /169\.254\.169\.254|link-local|metadata/i],
    ['metadata IP literal', 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254|link-local|metadata/i],
    ['IPv6 metadata address', 'http://v6meta.test/x.png', /fd00:ec2::254|private|metadata|unique-local/i],
    ['private address', 'http://intranet.test/x.png', /10\.20\.30\.40|private/i],
    ['loopback behind a public-looking name', 'http://sneaky.test/x.png', /127\.0\.0\.1|loopback/i],
    ['loopback IP literal', 'http://127.0.0.1/x.png', /127\.0\.0\.1|loopback/i],
    ['redirect to the metadata host', 'REDIRECT', /169\.254\.169\.254|link-local|metadata/i],
    ['unknown host', 'http://nowhere.test/x.png', /unreachable|ENOTFOUND|resolve/i],
    ['404', 'MISSING', /HTTP 404/],
    ['HTML page', 'HTML', /content type/i],
    ['oversized image', 'HUGE', /larger than/i],
    ['server that never answers', 'SLOW', /within 400 ms/],
    ['URL with credentials', 'http://user:pw@images.test/cat.png', /credentials/i],
    ['ftp scheme', 'ftp://images.test/cat.png', /base64 data URI or an http\(s\) URL/],
  ])('%s is refused with a 400 naming the part', async (_what, raw, message) => {
    const url =
      raw === 'REDIRECT'
        ? `http://images.test:${port}/to-metadata`
        : raw === 'MISSING'
          ? `http://images.test:${port}/missing.png`
          : raw === 'HTML'
            ? `http://images.test:${port}/page.html`
            : raw === 'HUGE'
              ? `http://images.test:${port}/huge.png`
              : raw === 'SLOW'
                ? `http://images.test:${port}/slow.png`
                : raw;
    const before = chat.callCount();
    for (const stream of [false, true]) {
      const err = await apiError(
        chat.client.chat.completions.create({ model: M.sonnet45, stream, messages: imageMessage(url) }),
      );
      expect(err.status).toBe(400);
      expect(err.type).toBe('invalid_request_error');
      expect(err.param).toBe('messages[0].content[1].image_url.url');
      expect(err.message).toMatch(message);
    }
    expect(chat.callCount()).toBe(before);
  });

  it('never connects to a refused address (the check happens before the socket)', async () => {
    const before = requested.length;
    await apiError(
      chat.client.chat.completions.create({ model: M.sonnet45, messages: imageMessage('http://sneaky.test:1/x.png') }),
    );
    await apiError(
      chat.client.chat.completions.create({
        model: M.sonnet45,
        messages: imageMessage(`http://sneaky.test:${port}/cat.png`),
      }),
    );
    expect(requested.slice(before)).toEqual([]);
  });
});

describe('fetch policy defaults: https only, allowlist', () => {
  const strict = useChatStack({ mediaFetcher: new MediaFetcher({ allowedHosts: ['cdn.example.com'] }) });

  it('refuses plain http by default and hosts outside the allowlist', async () => {
    const http = await apiError(
      strict.client.chat.completions.create({
        model: M.sonnet45,
        messages: imageMessage('http://cdn.example.com/cat.png'),
      }),
    );
    expect(http.status).toBe(400);
    expect(http.message).toMatch(/must use https/);
    const other = await apiError(
      strict.client.chat.completions.create({
        model: M.sonnet45,
        messages: imageMessage('https://elsewhere.example.org/cat.png'),
      }),
    );
    expect(other.status).toBe(400);
    expect(other.message).toMatch(/not in the gateway's list of allowed media hosts/);
    expect(strict.callCount()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Documents

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n', 'latin1'), Buffer.alloc(8000, 0x20)]);
const PDF_TOKENS = Math.ceil(PDF.length / 4);

function filePart(
  file: { file_data: string; filename?: string },
  cache = false,
): OpenAI.ChatCompletionContentPart.File {
  const part = { type: 'file', file } as OpenAI.ChatCompletionContentPart.File;
  return cache ? ({ ...part, cache_control: { type: 'ephemeral' } } as OpenAI.ChatCompletionContentPart.File) : part;
}

function documentOf(body: { messages: { content: Record<string, unknown>[] }[] }): {
  name: string;
  format: string;
  source: unknown;
} {
  const block = body.messages[0]!.content.find((b) => 'document' in b);
  return block!.document as { name: string; format: string; source: unknown };
}

describe.each([
  ['Anthropic', M.sonnet45],
  ['Nova', M.novaLite],
])('PDF file parts on %s', (_family, model) => {
  it('become document blocks with a name sanitised to Bedrock’s charset (stream and not)', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      {
        role: 'user',
        content: [
          filePart({ file_data: dataUri('application/pdf', PDF), filename: 'Q3 report.final_v2.pdf' }),
          { type: 'text', text: 'summarise it' },
        ],
      },
    ];
    const res = await chat.client.chat.completions.create({ model, messages });
    expect(res.choices[0]!.message.content).toBe('Echo: summarise it');
    expect(res.usage!.prompt_tokens).toBe(PDF_TOKENS + tokens('summarise it'));
    const doc = documentOf(chat.lastBody());
    expect(doc.format).toBe('pdf');
    expect(doc.name).toMatch(/^[A-Za-z0-9\-()[\] ]{1,200}$/);
    expect(doc.name).toBe('Q3 report-final-v2');
    const got = await collect(await chat.client.chat.completions.create({ model, messages, stream: true }));
    expect(got.content).toBe('Echo: summarise it');
  });

  it('a PDF without any text gets the text sibling Bedrock requires (LiteLLM #20426)', async () => {
    const res = await chat.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: [filePart({ file_data: dataUri('application/pdf', PDF) })] }],
    });
    expect(res.choices[0]!.message.content).toBe('Echo: See the attached document.');
  });
});

describe('document names are stable, so the same file is a prompt-cache hit', () => {
  it.each([
    ['with a filename', 'contract (signed).pdf'],
    ['without a filename', undefined],
  ])('%s: same file twice → same name → cache read on the second call', async (_what, filename) => {
    // Distinct bytes per case so the cases do not share cache entries.
    const pdf = Buffer.concat([PDF, Buffer.from(filename ?? 'anonymous')]);
    const file = filename
      ? { file_data: dataUri('application/pdf', pdf), filename }
      : { file_data: dataUri('application/pdf', pdf) };
    const request = {
      model: M.sonnet45,
      messages: [
        {
          role: 'user' as const,
          content: [filePart(file, true), { type: 'text' as const, text: 'what does it say' }],
        },
      ],
    };
    const first = await chat.client.chat.completions.create(request);
    const firstName = documentOf(chat.lastBody()).name;
    const second = await chat.client.chat.completions.create(request);
    expect(documentOf(chat.lastBody()).name).toBe(firstName);
    if (!filename) expect(firstName).toMatch(/^document-[0-9a-f]{16}$/);
    const docTokens = Math.ceil(pdf.length / 4);
    const u1 = first.usage as GatewayUsage;
    const u2 = second.usage as GatewayUsage;
    expect(u1.cache_creation_input_tokens).toBe(docTokens);
    expect(u1.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(u2.prompt_tokens_details?.cached_tokens).toBe(docTokens);
    expect(u2.cache_creation_input_tokens).toBe(0);
    expect(u2.prompt_tokens).toBe(u1.prompt_tokens);
  });

  it('two different files with the same filename in one request get distinct names', async () => {
    const other = Buffer.concat([PDF, Buffer.from('other')]);
    await chat.client.chat.completions.create({
      model: M.sonnet45,
      messages: [
        {
          role: 'user',
          content: [
            filePart({ file_data: dataUri('application/pdf', PDF), filename: 'a.pdf' }),
            filePart({ file_data: dataUri('application/pdf', other), filename: 'a.pdf' }),
            { type: 'text', text: 'compare' },
          ],
        },
      ],
    });
    const names = chat
      .lastBody()
      .messages[0]!.content.filter((b) => 'document' in b)
      .map((b) => (b.document as { name: string }).name);
    expect(names).toEqual(['a', 'a (2)']);
  });
});

describe('documents the gateway refuses', () => {
  it('a model without document input gets a 400 naming it (Nova Micro)', async () => {
    for (const model of [M.novaMicro]) {
      const err = await apiError(
        chat.client.chat.completions.create({
          model,
          messages: [
            {
              role: 'user',
              content: [filePart({ file_data: dataUri('application/pdf', PDF) }), { type: 'text', text: 'x' }],
            },
          ],
        }),
      );
      expect(err.status).toBe(400);
      expect(err.message).toContain(model);
    }
  });

  it('a document over 4.5 MB, a file that is not what it claims, and file_id are 400s', async () => {
    const big = Buffer.concat([PDF, Buffer.alloc(4.6 * 1024 * 1024)]);
    const cases: [OpenAI.ChatCompletionContentPart.File, RegExp][] = [
      [filePart({ file_data: dataUri('application/pdf', big), filename: 'big.pdf' }), /4\.5 MB/],
      [
        filePart({ file_data: dataUri('application/pdf', Buffer.from('not a pdf at all')), filename: 'x.pdf' }),
        /not a document type/,
      ],
      [{ type: 'file', file: { file_id: 'file-abc' } }, /file_data/],
    ];
    for (const [part, message] of cases) {
      const err = await apiError(
        chat.client.chat.completions.create({
          model: M.sonnet45,
          messages: [{ role: 'user', content: [part, { type: 'text', text: 'x' }] }],
        }),
      );
      expect(err.status).toBe(400);
      expect(err.message).toMatch(message);
    }
  });

  it.each([
    [
      'docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'memo.docx',
      Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 7)]),
    ],
    [
      'xlsx',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'sheet.xlsx',
      Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 8)]),
    ],
    [
      'doc',
      'application/msword',
      'old.doc',
      Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(64, 9)]),
    ],
    ['html', 'text/html', 'page.html', Buffer.from('<html><body>hi</body></html>')],
    ['txt', 'text/plain', 'notes.txt', Buffer.from('plain notes')],
    ['md', 'text/markdown', 'README.md', Buffer.from('# Title')],
  ])('%s documents reach Bedrock with their format (Anthropic and Nova)', async (format, mime, filename, bytes) => {
    for (const model of [M.sonnet45, M.novaLite]) {
      const res = await chat.client.chat.completions.create({
        model,
        messages: [
          {
            role: 'user',
            content: [filePart({ file_data: dataUri(mime, bytes), filename }), { type: 'text', text: 'read' }],
          },
        ],
      });
      expect(res.choices[0]!.message.content).toBe('Echo: read');
      expect(documentOf(chat.lastBody())).toEqual({
        format,
        name: filename.slice(0, filename.lastIndexOf('.')),
        source: { bytes: bytes.toString('base64') },
      });
    }
  });

  it('text documents (csv, md) pass with their format; Llama takes documents too', async () => {
    const csv = Buffer.from('a,b\n1,2\n');
    for (const model of [M.sonnet45, M.llama33]) {
      const res = await chat.client.chat.completions.create({
        model,
        messages: [
          {
            role: 'user',
            content: [
              filePart({ file_data: dataUri('text/csv', csv), filename: 'data.csv' }),
              { type: 'text', text: 'sum' },
            ],
          },
        ],
      });
      expect(res.choices[0]!.message.content).toBe('Echo: sum');
      expect(documentOf(chat.lastBody())).toMatchObject({ format: 'csv', name: 'data' });
    }
  });
});

describe('image input details', () => {
  it('the same URL used twice is fetched once and sent twice', async () => {
    const url = `http://images.test:${port}/cat.jpg`;
    const before = requested.length;
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'twice' },
            { type: 'image_url', image_url: { url, detail: 'low' } },
            { type: 'image_url', image_url: { url, detail: 'high' } },
          ],
        },
      ],
    });
    expect(res.usage!.prompt_tokens).toBe(2000 + tokens('twice'));
    expect(requested.slice(before)).toEqual([`images.test:${port}/cat.jpg`]);
    expect(chat.lastBody().messages[0]!.content.filter((b) => 'image' in b)).toHaveLength(2);
  });

  it('base64 wrapped at 76 columns and base64url data are accepted and sent as standard base64', async () => {
    const bytes = Buffer.concat([PNG, Buffer.alloc(200, 0xfb)]);
    const standard = bytes.toString('base64');
    const wrapped = standard.replace(/(.{76})/g, '$1\r\n');
    const url64 = bytes.toString('base64url');
    for (const data of [wrapped, url64]) {
      const res = await chat.client.chat.completions.create({
        model: M.novaLite,
        messages: imageMessage(`data:image/png;base64,${data}`),
      });
      expect(res.choices[0]!.message.content).toBe('Echo: what is in this picture');
      expect(chat.lastBody().messages[0]!.content[1]).toEqual({
        image: { format: 'png', source: { bytes: standard } },
      });
    }
  });

  it('an image URL in a tool result is fetched too', async () => {
    const first = await chat.client.chat.completions.create({
      model: M.sonnet45,
      tools: [{ type: 'function', function: { name: 'snapshot' } }],
      tool_choice: 'required',
      messages: [{ role: 'user', content: 'take one' }],
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      tools: [{ type: 'function', function: { name: 'snapshot' } }],
      messages: [
        { role: 'user', content: 'take one' },
        first.choices[0]!.message,
        {
          role: 'tool',
          tool_call_id: call.id,
          content: [{ type: 'image_url', image_url: { url: `http://images.test:${port}/cat.png` } }],
        } as unknown as OpenAI.ChatCompletionToolMessageParam,
      ],
    });
    expect(res.choices[0]!.message.content).toBe(`Tool results: ${call.id}: [image]`);
    const refused = await apiError(
      chat.client.chat.completions.create({
        model: M.sonnet45,
        tools: [{ type: 'function', function: { name: 'snapshot' } }],
        messages: [
          { role: 'user', content: 'take one' },
          first.choices[0]!.message,
          {
            role: 'tool',
            tool_call_id: call.id,
            content: [{ type: 'image_url', image_url: { url: 'http://metadata.test/x.png' } }],
          } as unknown as OpenAI.ChatCompletionToolMessageParam,
        ],
      }),
    );
    expect([refused.status, refused.param]).toEqual([400, 'messages[2].content[0].image_url.url']);
  });
});
