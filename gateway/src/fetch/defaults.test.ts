import { describe, expect, it } from 'vitest';
import { MEDIA_FETCH_DEFAULTS, mediaFetchOptionsFromEnv } from './defaults.js';

describe('mediaFetchOptionsFromEnv', () => {
  it('keeps every default when nothing is set', () => {
    expect(mediaFetchOptionsFromEnv({})).toStrictEqual({});
    expect(MEDIA_FETCH_DEFAULTS).toMatchObject({
      enabled: true,
      allowHttp: false,
      allowedHosts: null,
      maxBytes: 3_932_160,
    });
  });

  it('reads switches, host lists and limits', () => {
    expect(
      mediaFetchOptionsFromEnv({
        AIGW_MEDIA_FETCH: 'off',
        AIGW_MEDIA_FETCH_ALLOW_HTTP: 'true',
        AIGW_MEDIA_FETCH_ALLOWED_HOSTS: ' cdn.example.com, *.Images.example.com ,',
        AIGW_MEDIA_FETCH_ALLOW_PRIVATE_HOSTS: 'assets.media.svc.cluster.local',
        AIGW_MEDIA_FETCH_MAX_BYTES: '1048576',
        AIGW_MEDIA_FETCH_TIMEOUT_MS: '2500',
        AIGW_MEDIA_FETCH_MAX_REDIRECTS: '0',
        AIGW_MEDIA_FETCH_MAX_CONCURRENCY: '8',
      }),
    ).toStrictEqual({
      enabled: false,
      allowHttp: true,
      allowedHosts: ['cdn.example.com', '*.images.example.com'],
      allowPrivateHosts: ['assets.media.svc.cluster.local'],
      maxBytes: 1048576,
      timeoutMs: 2500,
      maxRedirects: 0,
      maxConcurrency: 8,
    });
  });

  it.each([
    ['AIGW_MEDIA_FETCH_ALLOW_HTTP', 'yes please'],
    ['AIGW_MEDIA_FETCH_MAX_BYTES', '3.5MB'],
    ['AIGW_MEDIA_FETCH_TIMEOUT_MS', '0'],
    ['AIGW_MEDIA_FETCH_MAX_REDIRECTS', '-1'],
  ])('refuses %s=%s at start-up', (name, value) => {
    expect(() => mediaFetchOptionsFromEnv({ [name]: value })).toThrow(
      expect.objectContaining({ code: 'invalid_value', param: name }),
    );
  });
});
