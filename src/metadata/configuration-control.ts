/**
 * Topic and broker configs: the controller's part that Kafka calls
 * `ConfigurationControlManager`, as functions of the request and the image.
 * IncrementalAlterConfigs plans each resource's changes against the speculative image
 * (SET, DELETE, and APPEND/SUBTRACT on list configs), validates every value against its
 * definition (`configs.ts`), and emits one Config record per config that changes;
 * DescribeConfigs reads effective values from any image and emits nothing.
 *
 * Enabling `unclean.leader.election.enable` runs the unclean election at once for the
 * partitions it now allows to have a leader (`electLeaderless`), as Kafka's controller does.
 */
import type { ErrorCode } from '../util/error-codes.js';
import { electLeaderless } from './cluster-control.js';
import {
  brokerConfigDefs,
  configDefs,
  configValueProblem,
  effectiveBrokerConfig,
  effectiveTopicConfig,
  isTrue,
  splitList,
  topicConfigDefs,
} from './configs.js';
import { fail, fitsString, ok, type Failure, type Txn } from './controller-txn.js';
import type { MetadataView } from './image.js';
import { ApiKey, ConfigResourceType } from './records.js';
import type {
  AlterConfigsResourceResponse,
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  DescribeConfigsResult,
  DescribeConfigsSynonym,
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from './requests.js';

export function incrementalAlterConfigs(txn: Txn, req: IncrementalAlterConfigsRequest): IncrementalAlterConfigsResponse {
  const key = (r: { resourceType: number; resourceName: string }): string => `${r.resourceType}:${r.resourceName}`;
  const counts = new Map<string, number>();
  for (const r of req.resources) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const responses: AlterConfigsResourceResponse[] = [];
  const uncleanEnabled = new Set<string>();
  let uncleanEnabledClusterWide = false;
  for (const r of req.resources) {
    const respond = (f: Failure | undefined): void => {
      responses.push({ resourceType: r.resourceType, resourceName: r.resourceName, ...(f === undefined ? ok : { errorCode: f.code, errorMessage: f.message }) });
    };
    if (counts.get(key(r))! > 1) {
      respond(fail('INVALID_REQUEST', 'the resource is listed more than once'));
      continue;
    }
    const planned = planConfigChanges(txn.delta, r.resourceType, r.resourceName, req.replace === true ? withUnlistedDeleted(txn.delta, r) : r.configs);
    if ('code' in planned) {
      respond(planned);
      continue;
    }
    for (const [name, value] of planned) {
      txn.emit({ apiKey: ApiKey.Config, resourceType: r.resourceType, resourceName: r.resourceName, name, value });
    }
    const unclean = planned.get('unclean.leader.election.enable');
    if (unclean !== undefined && unclean !== null && isTrue(unclean)) {
      if (r.resourceType === ConfigResourceType.Topic) uncleanEnabled.add(r.resourceName);
      else if (r.resourceName === '') uncleanEnabledClusterWide = true;
    }
    respond(undefined);
  }
  // Enabling unclean election gives leaderless partitions a leader now, as Kafka's
  // controller does, rather than at the next broker event.
  if (uncleanEnabledClusterWide) electLeaderless(txn);
  else if (uncleanEnabled.size > 0) electLeaderless(txn, uncleanEnabled);
  return { responses };
}

/** AlterConfigs' replacement as incremental changes: the resource's configs set now and not listed are deleted. */
function withUnlistedDeleted(view: MetadataView, r: IncrementalAlterConfigsRequest['resources'][number]): IncrementalAlterConfigsRequest['resources'][number]['configs'] {
  if (r.resourceType !== ConfigResourceType.Topic && r.resourceType !== ConfigResourceType.Broker) return r.configs;
  if (r.resourceType === ConfigResourceType.Topic && view.topicIdOf(r.resourceName) === undefined) return r.configs;
  const listed = new Set(r.configs.map((c) => c.name));
  const unlisted = [...view.configs(r.resourceType, r.resourceName).keys()].filter((name) => !listed.has(name));
  return [...r.configs, ...unlisted.map((name) => ({ name, configOperation: 'DELETE' as const, value: null }))];
}

/** The new value (null to delete) of each config that changes, or why the resource's changes are invalid. */
function planConfigChanges(
  view: MetadataView,
  resourceType: ConfigResourceType,
  resourceName: string,
  changes: IncrementalAlterConfigsRequest['resources'][number]['configs'],
): Map<string, string | null> | Failure {
  if (resourceType === ConfigResourceType.Topic) {
    if (view.topicIdOf(resourceName) === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(resourceName)} does not exist`);
  } else if (resourceType === ConfigResourceType.Broker) {
    if (resourceName !== '' && !isBrokerIdText(resourceName)) return fail('INVALID_REQUEST', `broker resource name ${JSON.stringify(resourceName)} is not a broker id or ''`);
  } else {
    return fail('INVALID_REQUEST', `unsupported resource type ${String(resourceType)}`);
  }
  const defs = configDefs(resourceType);
  const current = view.configs(resourceType, resourceName);
  const planned = new Map<string, string | null>();
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.name)) return fail('INVALID_REQUEST', `config ${c.name} is altered more than once`);
    seen.add(c.name);
    const def = defs.get(c.name);
    if (def === undefined) return fail('INVALID_CONFIG', `unknown ${resourceType === ConfigResourceType.Topic ? 'topic' : 'broker'} config ${JSON.stringify(c.name)}`);
    let next: string | null;
    switch (c.configOperation) {
      case 'SET':
        if (c.value === null) return fail('INVALID_CONFIG', `SET of ${c.name} needs a value`);
        next = c.value;
        break;
      case 'DELETE':
        next = null;
        break;
      case 'APPEND':
      case 'SUBTRACT': {
        if (def.type !== 'list') return fail('INVALID_CONFIG', `${c.configOperation} applies only to list configs, and ${c.name} is a ${def.type}`);
        if (c.value === null) return fail('INVALID_CONFIG', `${c.configOperation} of ${c.name} needs a value`);
        const effective =
          resourceType === ConfigResourceType.Topic ? effectiveTopicConfig(view, resourceName, c.name).value : effectiveBrokerConfig(view, resourceName, c.name).value;
        const items = splitList(effective);
        const operands = splitList(c.value);
        const nextItems = c.configOperation === 'APPEND' ? [...items, ...operands.filter((o) => !items.includes(o))] : items.filter((i) => !operands.includes(i));
        next = nextItems.join(',');
        break;
      }
      default:
        return fail('INVALID_REQUEST', `unknown config operation ${JSON.stringify(c.configOperation)}`);
    }
    if (next !== null) {
      if (!fitsString(next)) return fail('INVALID_CONFIG', `the value of ${c.name} is too long`);
      const problem = configValueProblem(def, next);
      if (problem !== undefined) return fail('INVALID_CONFIG', problem);
    }
    if ((current.get(c.name) ?? null) !== next) planned.set(c.name, next);
  }
  return planned;
}

/** Kafka's `ConfigResource.Type.BROKER_LOGGER`: a broker's log4j loggers. */
const brokerLoggerResourceType = 8;

/**
 * DescribeConfigs, served from an image (no records): every requested config of each
 * resource with its effective value and where the value came from. A type other than
 * TOPIC and BROKER fails for its resource alone, as in Kafka; BROKER_LOGGER lists no loggers.
 */
export function describeConfigs(view: MetadataView, req: DescribeConfigsRequest): DescribeConfigsResponse {
  const results: DescribeConfigsResult[] = [];
  for (const r of req.resources) {
    const failure = (code: ErrorCode, message: string): DescribeConfigsResult => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: code, errorMessage: message, configs: [] });
    let names: string[];
    if (r.resourceType === ConfigResourceType.Topic) {
      if (view.topicIdOf(r.resourceName) === undefined) {
        results.push(failure('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(r.resourceName)} does not exist`));
        continue;
      }
      names = [...topicConfigDefs.keys()];
    } else if (r.resourceType === ConfigResourceType.Broker) {
      if (r.resourceName !== '' && !isBrokerIdText(r.resourceName)) {
        results.push(failure('INVALID_REQUEST', `broker resource name ${JSON.stringify(r.resourceName)} is not a broker id or ''`));
        continue;
      }
      names = [...brokerConfigDefs.keys()];
    } else if (r.resourceType === brokerLoggerResourceType && isBrokerIdText(r.resourceName)) {
      // Kafka lists a broker's log4j loggers and their levels; Tributary has none to list.
      results.push({ resourceType: r.resourceType, resourceName: r.resourceName, ...ok, configs: [] });
      continue;
    } else {
      results.push(failure('INVALID_REQUEST', `unsupported resource type ${String(r.resourceType)}`));
      continue;
    }
    const type: ConfigResourceType = r.resourceType;
    const wanted = r.configurationKeys ?? null;
    if (wanted !== null) names = names.filter((n) => wanted.includes(n));
    names.sort();
    const configs = names.map((name) => {
      const e = type === ConfigResourceType.Topic ? effectiveTopicConfig(view, r.resourceName, name) : effectiveBrokerConfig(view, r.resourceName, name);
      const entry = { name, value: e.value, readOnly: false, source: e.source, isDefault: e.source === 'DEFAULT_CONFIG', isSensitive: false };
      return req.includeSynonyms === true ? { ...entry, synonyms: configSynonyms(view, type, r.resourceName, name) } : entry;
    });
    results.push({ resourceType: r.resourceType, resourceName: r.resourceName, ...ok, configs });
  }
  return { results };
}

/**
 * Every level that sets a config, most specific first, as Kafka lists them for
 * `includeSynonyms`: the topic's own value (or the broker's own), the cluster-wide dynamic
 * default under the broker config's name, and the built-in default. The first is the
 * effective value.
 */
function configSynonyms(view: MetadataView, resourceType: ConfigResourceType, resourceName: string, name: string): DescribeConfigsSynonym[] {
  const out: DescribeConfigsSynonym[] = [];
  if (resourceType === ConfigResourceType.Topic) {
    const def = topicConfigDefs.get(name)!;
    const own = view.configs(ConfigResourceType.Topic, resourceName).get(name);
    if (own !== undefined) out.push({ name, value: own, source: 'TOPIC_CONFIG' });
    const brokerName = def.brokerSynonym ?? name;
    const clusterWide = def.brokerSynonym === undefined ? undefined : view.configs(ConfigResourceType.Broker, '').get(def.brokerSynonym);
    if (clusterWide !== undefined) out.push({ name: brokerName, value: clusterWide, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' });
    out.push({ name: brokerName, value: def.defaultValue, source: 'DEFAULT_CONFIG' });
  } else {
    const def = brokerConfigDefs.get(name)!;
    const own = resourceName === '' ? undefined : view.configs(ConfigResourceType.Broker, resourceName).get(name);
    if (own !== undefined) out.push({ name, value: own, source: 'DYNAMIC_BROKER_CONFIG' });
    const clusterWide = view.configs(ConfigResourceType.Broker, '').get(name);
    if (clusterWide !== undefined) out.push({ name, value: clusterWide, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' });
    out.push({ name, value: def.defaultValue, source: 'DEFAULT_CONFIG' });
  }
  return out;
}

function isBrokerIdText(text: string): boolean {
  return /^\d{1,10}$/.test(text) && Number(text) <= 0x7fffffff;
}
