/**
 * Where a version changed a field's shape, the in-process type keeps the newest shape (or,
 * for OffsetFetch, the shape before batching) and an adapter converts between it and the
 * shape the description gives that version. Every other API maps field for field, with no
 * adapter. The exceptions are listed, and checked at compile time, in
 * `schema/schema.test.ts`.
 *
 * `toWire` runs before encoding, `fromWire` after decoding; both get the version and return
 * a new object (they never change their argument). `request` is the request a response
 * answers, when the caller knows it (a broker always does): OffsetFetch v8's response names
 * its group, which the in-process response does not carry.
 * @internal
 */
import { TributaryError } from '../../util/errors.js';
import { zeroUuid } from '../../util/uuid.js';
import { ApiKey } from '../api-keys.js';

type Obj = Record<string, unknown>;

export interface Adapter {
  toWire?(version: number, value: Obj, request?: Obj): Obj;
  /** `fail` throws the reader's error (INVALID_REQUEST or CORRUPT_MESSAGE). */
  fromWire?(version: number, value: Obj, fail: (why: string) => never): Obj;
}

export interface ApiAdapters {
  readonly request?: Adapter;
  readonly response?: Adapter;
}

function cannot(api: string, version: number, why: string): never {
  throw new TributaryError('UNSUPPORTED_VERSION', `${api} v${version} cannot carry ${why}`);
}

function without(value: Obj, ...keys: string[]): Obj {
  const out = { ...value };
  for (const k of keys) delete out[k];
  return out;
}

const arr = (v: unknown): readonly Obj[] => (v ?? []) as readonly Obj[];

export const adapters: { readonly [key: number]: ApiAdapters } = {
  // Metadata v0 has no null topic array: an empty array asks for every topic, and a request
  // for no topic at all cannot be made.
  [ApiKey.Metadata]: {
    request: {
      toWire(version, value) {
        if (version > 0) return value;
        if (value['topics'] === null) return { ...value, topics: [] };
        if (arr(value['topics']).length === 0) cannot('Metadata', version, 'a request for no topics');
        return value;
      },
      fromWire(version, value) {
        if (version === 0 && arr(value['topics']).length === 0) return { ...value, topics: null };
        return value;
      },
    },
  },

  [ApiKey.FindCoordinator]: {
    request: {
      toWire(version, value) {
        if (version >= 4) return value;
        const keys = arr(value['coordinatorKeys']) as unknown as readonly string[];
        if (keys.length !== 1) cannot('FindCoordinator', version, `${keys.length} coordinator keys (v0-v3 carry one)`);
        return { ...without(value, 'coordinatorKeys'), key: keys[0] };
      },
      fromWire(version, value) {
        if (version >= 4) return without(value, 'key');
        return { ...without(value, 'key'), coordinatorKeys: [value['key']] };
      },
    },
    response: {
      toWire(version, value) {
        if (version >= 4) return value;
        const coordinators = arr(value['coordinators']);
        if (coordinators.length !== 1) cannot('FindCoordinator', version, `${coordinators.length} coordinators (v0-v3 carry one)`);
        const c = coordinators[0]!;
        return {
          ...without(value, 'coordinators'),
          errorCode: c['errorCode'],
          errorMessage: c['errorMessage'],
          nodeId: c['nodeId'],
          host: c['host'],
          port: c['port'],
        };
      },
      fromWire(version, value) {
        const base = without(value, 'errorCode', 'errorMessage', 'nodeId', 'host', 'port');
        if (version >= 4) return base;
        // v0-v3 answers do not repeat the key; the caller asked for exactly one.
        const c = { key: '', nodeId: value['nodeId'], host: value['host'], port: value['port'], errorCode: value['errorCode'], errorMessage: value['errorMessage'] };
        return { ...base, coordinators: [c] };
      },
    },
  },

  [ApiKey.LeaveGroup]: {
    request: {
      toWire(version, value) {
        if (version >= 3) return value;
        const members = arr(value['members']);
        if (members.length !== 1) cannot('LeaveGroup', version, `${members.length} members (v0-v2 carry one)`);
        const m = members[0]!;
        if (m['groupInstanceId'] !== null && m['groupInstanceId'] !== undefined) cannot('LeaveGroup', version, 'a group instance id');
        return { ...without(value, 'members'), memberId: m['memberId'] };
      },
      fromWire(version, value) {
        if (version >= 3) return without(value, 'memberId');
        return { ...without(value, 'memberId'), members: [{ memberId: value['memberId'], groupInstanceId: null, reason: null }] };
      },
    },
    response: {
      toWire(version, value) {
        if (version >= 3) return value;
        // v0-v2 have one member and one error: the member's, unless the group's is set.
        const first = arr(value['members'])[0];
        const errorCode = value['errorCode'] === 'NONE' && first !== undefined ? first['errorCode'] : value['errorCode'];
        return { ...value, errorCode, members: [] };
      },
    },
  },

  // OffsetFetch v8 batches groups (KIP-709). A batch of one group is the in-process one-group
  // shape; any other batch (several groups, or none) also keeps every group in `groups`, and
  // its answer comes back in the response's `groups`.
  [ApiKey.OffsetFetch]: {
    request: {
      toWire(version, value) {
        const batch = value['groups'];
        if (version < 8) {
          if (batch !== undefined) cannot('OffsetFetch', version, 'several groups (v8+)');
          return value;
        }
        if (batch !== undefined) return { ...without(value, 'groupId', 'topics', 'groups'), groups: batch };
        return { ...without(value, 'groupId', 'topics'), groups: [{ groupId: value['groupId'], topics: value['topics'] }] };
      },
      fromWire(version, value) {
        if (version < 8) return without(value, 'groups');
        const groups = arr(value['groups']);
        const first = groups[0];
        const one = { ...without(value, 'groups'), groupId: first?.['groupId'] ?? '', topics: first?.['topics'] ?? null };
        return groups.length === 1 ? one : { ...one, groups: groups.map((g) => ({ groupId: g['groupId'], topics: g['topics'] })) };
      },
    },
    response: {
      toWire(version, value, request) {
        const batch = value['groups'];
        if (version < 8) {
          if (batch !== undefined) cannot('OffsetFetch', version, 'the answers of several groups (v8+)');
          return value;
        }
        if (batch !== undefined) return { ...without(value, 'topics', 'errorCode', 'groups'), groups: batch };
        const groupId = request?.['groupId'];
        if (typeof groupId !== 'string') return cannot('OffsetFetch', version, 'a response without the request it answers (v8 names the group)');
        return { ...without(value, 'topics', 'errorCode'), groups: [{ groupId, topics: value['topics'], errorCode: value['errorCode'] }] };
      },
      fromWire(version, value) {
        if (version < 8) return without(value, 'groups');
        const groups = arr(value['groups']);
        if (groups.length !== 1) return { ...without(value, 'groups'), topics: [], errorCode: 'NONE', groups };
        const g = groups[0]!;
        return { ...without(value, 'groups'), topics: g['topics'], errorCode: g['errorCode'] };
      },
    },
  },

  [ApiKey.DeleteTopics]: {
    request: {
      toWire(version, value) {
        if (version >= 6) return { ...value, topics: arr(value['topics']).map((t) => ({ name: t['name'] ?? null, topicId: t['topicId'] ?? zeroUuid })) };
        const names = arr(value['topics']).map((t) => {
          if (t['topicId'] !== undefined && t['topicId'] !== zeroUuid) cannot('DeleteTopics', version, 'a topic named by id');
          return t['name'];
        });
        return { ...without(value, 'topics'), topicNames: names };
      },
      fromWire(version, value) {
        if (version >= 6) {
          const topics = arr(value['topics']).map((t) => (t['name'] === null ? { topicId: t['topicId'] } : t['topicId'] === zeroUuid ? { name: t['name'] } : t));
          return { ...without(value, 'topicNames'), topics };
        }
        return { ...without(value, 'topicNames'), topics: (value['topicNames'] as readonly string[]).map((name) => ({ name })) };
      },
    },
  },

  [ApiKey.CreatePartitions]: {
    request: {
      toWire(_version, value) {
        const topics = arr(value['topics']).map((t) => {
          const a = t['assignments'] as readonly (readonly number[])[] | null | undefined;
          return { ...t, assignments: a === undefined || a === null ? null : a.map((brokerIds) => ({ brokerIds })) };
        });
        return { ...value, topics };
      },
      fromWire(_version, value) {
        const topics = arr(value['topics']).map((t) => {
          const a = t['assignments'] as readonly Obj[] | null;
          return { ...t, assignments: a === null ? null : a.map((x) => x['brokerIds']) };
        });
        return { ...value, topics };
      },
    },
  },

  [ApiKey.DescribeConfigs]: {
    response: {
      fromWire(_version, value) {
        const results = arr(value['results']).map((r) => ({
          ...r,
          configs: arr(r['configs']).map((c) => ({ ...c, value: c['value'] ?? '', isDefault: c['source'] === 'DEFAULT_CONFIG' })),
        }));
        return { ...value, results };
      },
    },
  },
};
