/**
 * Frames written by an independent implementation, decoded by Tributary's codec and
 * encoded again: the bytes must come back identical. The fixtures
 * (test/fixtures/wire/captured/, recorded by test/wire/capture.ts through the recording
 * proxy) are librdkafka 2.0.2's requests (kcat, confluent-kafka-python) and its mock
 * broker's responses, so a field the codec reads at the wrong version, a flexible
 * encoding it gets wrong, or a default it invents shows up as a byte difference against
 * code Tributary did not write. A round trip through our own codec alone would prove
 * nothing about compatibility.
 *
 * Every frame of a version the codec serves must decode and re-encode byte for byte,
 * except the few listed in `nonCanonical`, each with the reason the bytes cannot come
 * back the same. A frame of a version the codec does not serve must be refused with
 * UNSUPPORTED_VERSION, never misread.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as codec from '../../src/protocol/wire/codec.js';
import { isTributaryError } from '../../src/util/errors.js';
import type { ManifestEntry } from './capture.js';

const root = new URL('../fixtures/wire/captured/', import.meta.url);

/** `dir/file` -> why the encoding is not canonical (a re-encode cannot give the same bytes). */
const nonCanonical: Readonly<Record<string, string>> = {};

/**
 * `dir/file` -> how the writer departs from Kafka's protocol. The codec must refuse these
 * with a typed error (or read them), never crash.
 */
const notKafka: Readonly<Record<string, string>> = {
  // KIP-511 says an ApiVersions error answer is written as v0 (int32 array length, no
  // tags), so a client of any version can read it; Kafka's broker does so. librdkafka
  // 2.0.2's mock writes a v3-style body instead, with a compact array length of 1 for one
  // entry (N, not N+1) and no trailing tagged fields: 01 | 0012 0000 0002 00 | 00000000.
  'librdkafka-mock/ApiVersions-v3-response.bin': 'the mock answers UNSUPPORTED_VERSION in a malformed flexible body, not in v0',
};

/** The versions the codec serves, by API key (requests of other versions are refused). */
function served(apiKey: number, version: number): boolean {
  const c = codec as unknown as {
    servedApiVersions?: readonly { apiKey: number; minVersion: number; maxVersion: number }[];
    wireApiVersions?: readonly { apiKey: number; minVersion: number; maxVersion: number }[];
  };
  const list = c.servedApiVersions ?? c.wireApiVersions ?? [];
  return list.some((v) => v.apiKey === apiKey && version >= v.minVersion && version <= v.maxVersion);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const body = (frame: Uint8Array): Uint8Array => frame.subarray(4);

interface Loaded extends ManifestEntry {
  readonly dir: string;
  readonly message: Buffer;
}

function load(): Loaded[] {
  const out: Loaded[] = [];
  for (const dir of readdirSync(root)) {
    const manifest = new URL(`${dir}/manifest.json`, root);
    if (!existsSync(manifest)) continue;
    for (const e of JSON.parse(readFileSync(manifest, 'utf8')) as ManifestEntry[]) out.push({ ...e, dir, message: readFileSync(new URL(`${dir}/${e.file}`, root)) });
  }
  return out;
}

const frames = load();
/** Frames decoded and re-encoded byte for byte so far (the last test checks that none was skipped). */
let identical = 0;

describe('captured frames from librdkafka decode and re-encode byte-identically', { timeout: 300_000 }, () => {
  it('the fixtures are there: requests and responses, every compression codec in Produce', () => {
    expect(frames.filter((f) => f.direction === 'request').length).toBeGreaterThan(10);
    expect(frames.filter((f) => f.direction === 'response').length).toBeGreaterThan(10);
    for (const c of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) expect(frames.some((f) => f.apiName === 'Produce' && f.file.endsWith(`-${c}.bin`))).toBe(true);
    // The header of each captured request names the API and version of its file.
    for (const f of frames.filter((x) => x.direction === 'request')) {
      expect([f.message.readInt16BE(0), f.message.readInt16BE(2)]).toEqual([f.apiKey, f.apiVersion]);
    }
  });

  for (const f of frames) {
    const name = `${f.dir}/${f.file} (${f.writer})`;
    if (f.direction === 'request') {
      it(`request ${name}`, () => {
        if (!served(f.apiKey, f.apiVersion) && !(f.apiKey === 18)) {
          let err: unknown;
          try {
            codec.decodeRequest(f.message);
          } catch (e) {
            err = e;
          }
          expect(isTributaryError(err) ? err.code : err).toBe('UNSUPPORTED_VERSION');
          return;
        }
        const decoded = codec.decodeRequest(f.message);
        expect(decoded.header.apiKey).toBe(f.apiKey);
        expect(decoded.header.apiVersion).toBe(f.apiVersion);
        if (nonCanonical[`${f.dir}/${f.file}`]) return;
        if ('versionSupported' in decoded && decoded.versionSupported === false) return;
        const again = body(codec.encodeRequest(decoded.request, { apiVersion: f.apiVersion, correlationId: decoded.header.correlationId, clientId: decoded.header.clientId }));
        expect(hex(again)).toBe(hex(f.message));
        identical++;
      });
    } else {
      it(`response ${name}`, () => {
        if (!served(f.apiKey, f.apiVersion)) return;
        if (notKafka[`${f.dir}/${f.file}`]) {
          try {
            codec.decodeResponse(f.apiKey as never, f.apiVersion, f.message);
          } catch (e) {
            expect(isTributaryError(e)).toBe(true);
          }
          return;
        }
        const decoded = codec.decodeResponse(f.apiKey as never, f.apiVersion, f.message);
        expect(decoded.correlationId).toBe(f.message.readInt32BE(0));
        if (nonCanonical[`${f.dir}/${f.file}`]) return;
        // KIP-511: an ApiVersions answer with UNSUPPORTED_VERSION is written in v0, whatever was asked.
        const unsupported = f.apiKey === 18 && f.message.readInt16BE(4) === 35;
        const again = body(codec.encodeResponse(decoded.response, { apiVersion: unsupported ? 0 : f.apiVersion, correlationId: decoded.correlationId }));
        expect(hex(again)).toBe(hex(f.message));
        identical++;
      });
    }
  }

  it('every captured frame of a served version came back byte for byte (none skipped)', () => {
    const servedFrames = frames.filter((f) => served(f.apiKey, f.apiVersion) && !notKafka[`${f.dir}/${f.file}`] && !nonCanonical[`${f.dir}/${f.file}`]);
    // librdkafka 2.0.2 speaks nothing the codec does not serve: every frame counts.
    expect(servedFrames.length).toBe(frames.length - Object.keys(notKafka).length - Object.keys(nonCanonical).length);
    expect(identical).toBe(servedFrames.length);
  });

  it('decodes what the clients said, not just something that re-encodes', () => {
    const find = (file: string) => frames.find((f) => f.dir === 'librdkafka-mock' && f.file === file);
    const apiVersions = find('ApiVersions-v3-request.bin');
    if (apiVersions && served(18, 3)) {
      const d = JSON.stringify(codec.decodeRequest(apiVersions.message).request);
      expect(d).toContain('librdkafka');
    }
    const metadata = find('Metadata-v2-response.bin');
    if (metadata && served(3, 2)) {
      const d = JSON.stringify(codec.decodeResponse(3 as never, 2, metadata.message).response);
      // The mock's three brokers, on loopback.
      expect(d.match(/127\.0\.0\.1/g)?.length).toBe(3);
    }
    const produce = find('Produce-v7-request-zstd.bin');
    if (produce && served(0, 7)) {
      const d = JSON.stringify(codec.decodeRequest(produce.message).request);
      expect(d).toContain('captured');
    }
  });
});
