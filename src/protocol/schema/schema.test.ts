/**
 * The descriptions and the hand-written in-process types (`../*.ts`) must name the same
 * fields. The check is at compile time (`npx tsc --noEmit`, which CI runs on tests too):
 * `Disagreement` lists every field one side has and the other lacks, nested structs
 * included, and `agree` below compiles only when that list is exactly the documented
 * exceptions. The run-time tests check the descriptions' own consistency.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, apiVersions } from '../api-keys.js';
import type { RequestOf, ResponseOf } from '../requests.js';
import { apiSpecs } from './index.js';
import { inVersions, versionBounds, type Disagreement, type FieldSpec, type MessageSpec } from './spec.js';

type Specs = typeof apiSpecs;
type Keyed = ApiKey & keyof Specs;
type Flat<S extends readonly FieldSpec[], T> = Disagreement<S, T> extends infer X extends string ? X : never;
type RequestDisagreement<K extends Keyed> = Flat<Specs[K]['request']['fields'], RequestOf<K>>;
type ResponseDisagreement<K extends Keyed> = Flat<Specs[K]['response']['fields'], ResponseOf<K>>;

/** Compiles only when `A` and `B` are the same union (`never` included). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function agree<T extends true>(): T | undefined {
  return undefined;
}

/**
 * The documented exceptions. Each is a field whose shape changed between the versions served,
 * where the in-process type keeps the newest shape and `wire/adapters.ts` converts:
 * - FindCoordinator v0-v3 carry one `key` and one coordinator at the top level; v4 batches
 *   them in `coordinatorKeys` and `coordinators`.
 * - LeaveGroup v0-v2 carry one `memberId`; v3+ carry `members`.
 * - OffsetFetch v8 batches groups in `groups`; the in-process request is one group (v7's shape)
 *   with the batch in an optional `groups` (KIP-709) when it holds other than one group.
 * - DeleteTopics v1-v5 carry `topicNames`; v6 carries `topics` by name or id.
 * - CreatePartitions carries each new partition's replicas as `{ brokerIds }`; in process, a
 *   plain array of broker ids.
 * - DescribeConfigs: `isDefault` existed only in v0 (not served); it is derived from `source`.
 * - JoinGroup: `reason` arrives in v8 and `skipAssignment` in v9 (not served); the in-process
 *   request and response already have them.
 */
type Exceptions = {
  [ApiKey.FindCoordinator]: {
    request: '(top): key is only in the description';
    response:
      | '(top): errorCode is only in the description'
      | '(top): errorMessage is only in the description'
      | '(top): nodeId is only in the description'
      | '(top): host is only in the description'
      | '(top): port is only in the description';
  };
  [ApiKey.LeaveGroup]: { request: '(top): memberId is only in the description'; response: never };
  [ApiKey.DeleteTopics]: { request: '(top): topicNames is only in the description'; response: never };
  [ApiKey.CreatePartitions]: { request: 'topics: assignments is an array of arrays in the in-process type'; response: never };
  [ApiKey.DescribeConfigs]: { request: never; response: 'results.configs: isDefault is only in the in-process type' };
  // clientHost: the request context an in-process member sends (its cluster run), see consumer-groups.md.
  // skipAssignment: KIP-814, v9+ (not served); in-process members of a static leader see it.
  [ApiKey.JoinGroup]: { request: '(top): reason is only in the in-process type' | '(top): clientHost is only in the in-process type'; response: '(top): skipAssignment is only in the in-process type' };
};
type ExceptionOf<K extends Keyed, D extends 'request' | 'response'> = K extends keyof Exceptions ? Exceptions[K][D] : never;

type AllAgree = {
  [K in Keyed]: [Same<RequestDisagreement<K>, ExceptionOf<K, 'request'>>, Same<ResponseDisagreement<K>, ExceptionOf<K, 'response'>>];
}[Keyed];
agree<Same<AllAgree, [true, true]>>();

// One line per API, so that a failure names the API.
agree<Same<RequestDisagreement<typeof ApiKey.Fetch>, never>>();
agree<Same<ResponseDisagreement<typeof ApiKey.Fetch>, never>>();
agree<Same<RequestDisagreement<typeof ApiKey.Produce>, never>>();
agree<Same<ResponseDisagreement<typeof ApiKey.Produce>, never>>();

function allFields(fields: readonly FieldSpec[], path = ''): { path: string; field: FieldSpec }[] {
  return fields.flatMap((f) => [{ path: `${path}${f.name}`, field: f }, ...allFields(f.fields ?? [], `${path}${f.name}.`)]);
}

const specs: MessageSpec[] = Object.values(apiSpecs).flatMap((a) => [a.request, a.response]);

describe('message descriptions', () => {
  it('describe every API key Tributary speaks, request and response with the same versions', () => {
    const keys = Object.values(ApiKey).sort((a, b) => a - b);
    expect(Object.keys(apiSpecs).map(Number)).toEqual(keys);
    for (const [key, { request, response }] of Object.entries(apiSpecs)) {
      expect(request.apiKey).toBe(Number(key));
      expect(response.apiKey).toBe(Number(key));
      expect(request.validVersions).toBe(response.validVersions);
      expect(request.flexibleVersions).toBe(response.flexibleVersions);
    }
  });

  it('give every field versions inside the message versions, tags only with taggedVersions, structs their fields', () => {
    for (const spec of specs) {
      const [low, high] = versionBounds(spec.validVersions)!;
      for (const { path, field } of allFields(spec.fields)) {
        const b = versionBounds(field.versions);
        expect(b, `${spec.apiKey} ${path}`).not.toBeNull();
        expect(b![0] <= high && b![1] >= low, `${spec.apiKey} ${path} exists in a served version`).toBe(true);
        expect(field.tag === undefined, `${spec.apiKey} ${path} tag`).toBe(field.taggedVersions === undefined);
        expect(field.type.endsWith('struct'), `${spec.apiKey} ${path} fields`).toBe(field.fields !== undefined);
        if (field.taggedVersions !== undefined) {
          // A tagged field exists only in flexible versions.
          for (let v = low; v <= high; v++) if (inVersions(field.taggedVersions, v)) expect(inVersions(spec.flexibleVersions, v)).toBe(true);
        }
      }
    }
  });

  it('hold the ranges of the in-process table (api-keys.ts), flexible from the same version', () => {
    for (const range of Object.values(apiVersions)) {
      const spec = (apiSpecs as Record<number, { request: MessageSpec }>)[range.apiKey]!.request;
      const [low, high] = versionBounds(spec.validVersions)!;
      // Produce is described (and advertised) from v0 but served from v3.
      expect([range.apiKey === ApiKey.Produce ? 3 : low, high], range.name).toEqual([range.minVersion, range.maxVersion]);
      const flexible = versionBounds(spec.flexibleVersions);
      if (flexible !== null) expect(range.flexibleFrom, range.name).toBe(flexible[0]);
      else expect(range.flexibleFrom, range.name).toBeGreaterThan(high);
    }
  });

  it('use each tag once per struct', () => {
    const check = (fields: readonly FieldSpec[]): void => {
      const tags = fields.filter((f) => f.tag !== undefined).map((f) => f.tag);
      expect(new Set(tags).size).toBe(tags.length);
      for (const f of fields) if (f.fields) check(f.fields);
    };
    for (const spec of specs) check(spec.fields);
  });

  it('give every array item at least one byte at every version, so a count is bounded by the bytes left', () => {
    // The reader refuses a count larger than the bytes left; that bounds the work only if
    // no item can be empty (a struct with no field in a non-flexible version would be).
    const check = (fields: readonly FieldSpec[], version: number, flexible: boolean, path: string): void => {
      for (const f of fields) {
        if (!inVersions(f.versions, version) || f.fields === undefined) continue;
        const present = f.fields.filter((g) => inVersions(g.versions, version));
        expect(present.length > 0 || flexible, `${path}${f.name} v${version}`).toBe(true);
        check(f.fields, version, flexible, `${path}${f.name}.`);
      }
    };
    for (const spec of specs) {
      const [low, high] = versionBounds(spec.validVersions)!;
      for (let v = low; v <= high; v++) check(spec.fields, v, inVersions(spec.flexibleVersions, v), `${spec.apiKey} ${spec.type} `);
    }
  });
});
