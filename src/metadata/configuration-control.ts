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
import { isTributaryError } from '../util/errors.js';
import { validateTopicName } from '../util/topic-name.js';
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
import { configDocs, configTypeIds, staticBrokerConfigDefs } from './broker-configs.js';
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
    // A broker's loggers are the receiving broker's to change (its KafkaApis answers them); never stored.
    if (r.resourceType !== ConfigResourceType.Topic && r.resourceType !== ConfigResourceType.Broker) {
      respond(fail('INVALID_REQUEST', `Unknown resource type ${r.resourceType}`));
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
  // Kafka's DynamicBrokerConfig.validateConfigs: a read-only broker config refuses the whole
  // resource, named in Kafka's words, before any value is looked at.
  if (resourceType === ConfigResourceType.Broker) {
    const readOnly = changes.map((c) => c.name).filter((n) => staticBrokerConfigDefs.has(n) && !defs.has(n));
    if (readOnly.length > 0) return fail('INVALID_REQUEST', `Cannot update these configs dynamically: Set(${[...new Set(readOnly)].join(', ')})`);
  }
  // A bad value of a broker config is INVALID_REQUEST in Kafka (KAFKA-13609), of a topic config INVALID_CONFIG.
  const badValue = resourceType === ConfigResourceType.Broker ? 'INVALID_REQUEST' : 'INVALID_CONFIG';
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
      if (problem !== undefined) return fail(badValue, problem);
    }
    if ((current.get(c.name) ?? null) !== next) planned.set(c.name, next);
  }
  return planned;
}

/** Kafka's `ConfigResource.Type.BROKER_LOGGER`: a broker's log4j loggers. */
const brokerLoggerResourceType = 8;

/**
 * The node a DescribeConfigs is answered on, for its BROKER resource: its id and its
 * read-only configs with the values it runs with (`src/broker/static-broker-configs.ts`).
 * Without it (a controller answering) a broker resource lists its dynamic configs only.
 */
export interface DescribingBroker {
  readonly brokerId: number;
  readonly staticConfigs: ReadonlyMap<string, string>;
}

type Entry = DescribeConfigsResponse['results'][number]['configs'][number];

/**
 * DescribeConfigs, served from an image (no records): every requested config of each
 * resource with its effective value and where the value came from, as Kafka's
 * `ConfigHelper.describeConfigs`:
 * - TOPIC: every topic config.
 * - BROKER with the answering broker's id: every broker config, dynamic (read-only false)
 *   and static (read-only true); another broker's id is INVALID_REQUEST, as Kafka answers
 *   on the wrong broker (clients send a broker's resource to that broker).
 * - BROKER `''` (the cluster-wide default): only the dynamic defaults that are set.
 * - BROKER_LOGGER: no loggers. Any other type fails for its resource alone.
 * `configurationKeys` keeps the configs named (unknown names are left out); `configType`
 * is always set, `documentation` when asked (v3+).
 */
export function describeConfigs(view: MetadataView, req: DescribeConfigsRequest, broker?: DescribingBroker): DescribeConfigsResponse {
  const results: DescribeConfigsResult[] = [];
  for (const r of req.resources) {
    const failure = (code: ErrorCode, message: string): DescribeConfigsResult => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: code, errorMessage: message, configs: [] });
    const wanted = r.configurationKeys ?? null;
    const pick = (names: Iterable<string>): string[] => [...names].filter((n) => wanted === null || wanted.includes(n)).sort();
    const done = (configs: Entry[]): void => void results.push({ resourceType: r.resourceType, resourceName: r.resourceName, ...ok, configs });
    if (r.resourceType === ConfigResourceType.Topic) {
      // Kafka's ConfigHelper: `Topic.validate` first (INVALID_TOPIC_EXCEPTION with its
      // reason), then an unknown topic UNKNOWN_TOPIC_OR_PARTITION with no message (a client
      // prints the code's own text, as against Kafka).
      const badName = topicNameProblem(r.resourceName);
      if (badName !== undefined) {
        results.push(failure('INVALID_TOPIC_EXCEPTION', badName));
        continue;
      }
      if (view.topicIdOf(r.resourceName) === undefined) {
        results.push({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', errorMessage: null, configs: [] });
        continue;
      }
      const on = broker === undefined ? undefined : String(broker.brokerId);
      done(pick(topicConfigDefs.keys()).map((name) => dynamicEntry(view, req, ConfigResourceType.Topic, r.resourceName, name, on)));
    } else if (r.resourceType === ConfigResourceType.Broker) {
      if (r.resourceName !== '' && !isBrokerIdText(r.resourceName)) {
        results.push(failure('INVALID_REQUEST', `Broker id must be an integer, but it is: ${r.resourceName}`));
        continue;
      }
      if (broker === undefined) {
        done(pick(brokerConfigDefs.keys()).map((name) => dynamicEntry(view, req, ConfigResourceType.Broker, r.resourceName, name)));
      } else if (r.resourceName === '') {
        // Kafka lists the cluster-wide dynamic defaults that are set, and nothing else.
        const set = view.configs(ConfigResourceType.Broker, '');
        done(pick([...set.keys()].filter((n) => brokerConfigDefs.has(n))).map((name) => dynamicEntry(view, req, ConfigResourceType.Broker, '', name)));
      } else if (Number(r.resourceName) !== broker.brokerId) {
        results.push(failure('INVALID_REQUEST', `Unexpected broker id, expected ${broker.brokerId} or empty string, but received ${r.resourceName}`));
      } else {
        const names = pick([...brokerConfigDefs.keys(), ...[...staticBrokerConfigDefs.keys()].filter((n) => broker.staticConfigs.has(n) && !brokerConfigDefs.has(n))]);
        done(names.map((name) => (brokerConfigDefs.has(name) ? dynamicEntry(view, req, ConfigResourceType.Broker, r.resourceName, name) : staticEntry(req, name, broker.staticConfigs.get(name)!))));
      }
    } else if (r.resourceType === brokerLoggerResourceType && isBrokerIdText(r.resourceName)) {
      // Kafka lists a broker's log4j loggers and their levels; Tributary has none to list.
      done([]);
    } else {
      results.push(failure('INVALID_REQUEST', `unsupported resource type ${String(r.resourceType)}`));
    }
  }
  return { results };
}

/** A topic config, or a dynamic broker config (read-only false): its effective value and source. */
function dynamicEntry(view: MetadataView, req: DescribeConfigsRequest, type: ConfigResourceType, resourceName: string, name: string, on?: string): Entry {
  const e = type === ConfigResourceType.Topic ? effectiveTopicConfig(view, resourceName, name, on) : effectiveBrokerConfig(view, resourceName, name);
  const def = type === ConfigResourceType.Topic ? topicConfigDefs.get(name)! : brokerConfigDefs.get(name)!;
  const doc = configDocs[type === ConfigResourceType.Topic ? name : (topicNameOfBrokerConfig.get(name) ?? name)] ?? null;
  let synonyms = req.includeSynonyms === true ? configSynonyms(view, type, resourceName, name, on) : undefined;
  // The cluster-wide default resource shows only its own level, as Kafka filters it.
  if (synonyms !== undefined && type === ConfigResourceType.Broker && resourceName === '') synonyms = synonyms.filter((s) => s.source === 'DYNAMIC_DEFAULT_BROKER_CONFIG');
  return {
    name,
    value: e.value,
    readOnly: false,
    source: e.source,
    isDefault: e.source === 'DEFAULT_CONFIG',
    isSensitive: false,
    ...(synonyms !== undefined ? { synonyms } : {}),
    configType: configTypeIds[def.type],
    ...(req.includeDocumentation === true ? { documentation: doc } : {}),
  };
}

/** A read-only broker config with the value the node runs with: STATIC_BROKER_CONFIG where that is not Kafka's default. */
function staticEntry(req: DescribeConfigsRequest, name: string, value: string): Entry {
  const def = staticBrokerConfigDefs.get(name)!;
  const source = value === def.kafkaDefault ? 'DEFAULT_CONFIG' : 'STATIC_BROKER_CONFIG';
  const synonyms: DescribeConfigsSynonym[] = [{ name, value, source }];
  if (source === 'STATIC_BROKER_CONFIG' && def.kafkaDefault !== null) synonyms.push({ name, value: def.kafkaDefault, source: 'DEFAULT_CONFIG' });
  return {
    name,
    value,
    readOnly: true,
    source,
    isDefault: source === 'DEFAULT_CONFIG',
    isSensitive: false,
    ...(req.includeSynonyms === true ? { synonyms } : {}),
    configType: configTypeIds[def.type],
    ...(req.includeDocumentation === true ? { documentation: def.doc } : {}),
  };
}

/** A dynamic broker config's topic config (`log.retention.ms` → `retention.ms`), for its documentation. */
const topicNameOfBrokerConfig: ReadonlyMap<string, string> = new Map([...topicConfigDefs.values()].filter((d) => d.brokerSynonym !== undefined).map((d) => [d.brokerSynonym!, d.name]));

/**
 * Every level that sets a config, most specific first, as Kafka lists them for
 * `includeSynonyms`: the topic's own value (or the broker's own), the cluster-wide dynamic
 * default under the broker config's name, and the built-in default. The first is the
 * effective value.
 */
function configSynonyms(view: MetadataView, resourceType: ConfigResourceType, resourceName: string, name: string, on?: string): DescribeConfigsSynonym[] {
  const out: DescribeConfigsSynonym[] = [];
  if (resourceType === ConfigResourceType.Topic) {
    const def = topicConfigDefs.get(name)!;
    const own = view.configs(ConfigResourceType.Topic, resourceName).get(name);
    if (own !== undefined) out.push({ name, value: own, source: 'TOPIC_CONFIG' });
    const brokerName = def.brokerSynonym ?? name;
    const perBroker = def.brokerSynonym === undefined || on === undefined ? undefined : view.configs(ConfigResourceType.Broker, on).get(def.brokerSynonym);
    if (perBroker !== undefined) out.push({ name: brokerName, value: perBroker, source: 'DYNAMIC_BROKER_CONFIG' });
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

/** Why `name` is no legal topic name (Kafka's `Topic.validate`), or undefined. */
function topicNameProblem(name: string): string | undefined {
  try {
    validateTopicName(name);
    return undefined;
  } catch (err) {
    if (isTributaryError(err)) return err.message;
    throw err;
  }
}
