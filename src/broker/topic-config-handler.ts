/**
 * `TopicConfigHandler`: the topic configs of this broker's replicas as the metadata image
 * gives them, Kafka's class of that name (with `DynamicConfigManager` and the config
 * lookup `LogManager` does at a log's creation).
 *
 * - `settingsFor` gives the log config and `min.insync.replicas` a replica opens with,
 *   kept for the last topic asked while its configs and the defaults stay the same maps.
 * - `changedTopics` finds the topics whose configs (or the cluster-wide or this broker's
 *   own defaults) changed in a new image, so their open logs get the new settings.
 *
 * Precedence (Kafka's): a topic's own config, then this broker's own dynamic default
 * (resource `String(nodeId)`), then the cluster-wide dynamic default (resource `''`).
 * @internal
 */
import type { MetadataImage } from '../metadata/image.js';
import { ConfigResourceType } from '../metadata/records.js';
import type { CompressionType } from '../record/batch.js';
import type { LogConfig } from '../storage/log.js';
import { compressionLevelFor, compressionTargetFor, logConfigFor, minInsyncReplicasFor } from './log-config.js';

/** A topic's settings for its replicas, and the config maps they came from. */
export interface TopicSettings {
  readonly topic: string;
  readonly own: unknown;
  readonly defaults: unknown;
  readonly brokerOwn: unknown;
  readonly logConfig: Readonly<Partial<LogConfig>>;
  readonly minInsyncReplicas: number;
}

export class TopicConfigHandler {
  /** This broker's id as a config resource name: its own dynamic configs come before the cluster-wide ones. */
  private readonly brokerResource: string;
  private seenDefaultConfigs: unknown;
  private seenOwnConfigs: unknown;
  private readonly seenTopicConfigs = new Map<string, unknown>();
  private lastSettings: TopicSettings | undefined;

  constructor(nodeId: number) {
    this.brokerResource = String(nodeId);
  }

  /**
   * A topic's log config and `min.insync.replicas`, kept for the last topic asked while its
   * configs and the cluster-wide defaults stay the same maps (images share unchanged config
   * maps): the replicas a produce opens are mostly of one topic, and each open read 15
   * configs through the image. The log config is frozen, so the logs opened with it share
   * one checked `LogConfig` (`configWithDefaults`).
   *
   * The configs a log opens with are also what the next `changedTopics` compares with: a
   * log is then reconfigured only if they changed (before, every log of a new topic was
   * reconfigured once, right after its open, to the same values).
   */
  settingsFor(image: MetadataImage, topic: string): TopicSettings {
    const own = image.configs(ConfigResourceType.Topic, topic);
    const defaults = image.configs(ConfigResourceType.Broker, '');
    const brokerOwn = image.configs(ConfigResourceType.Broker, this.brokerResource);
    if (!this.seenTopicConfigs.has(topic)) this.seenTopicConfigs.set(topic, own);
    const last = this.lastSettings;
    if (last !== undefined && last.topic === topic && last.own === own && last.defaults === defaults && last.brokerOwn === brokerOwn) return last;
    const settings = { topic, own, defaults, brokerOwn, logConfig: Object.freeze(logConfigFor(image, topic, this.brokerResource)), minInsyncReplicas: minInsyncReplicasFor(image, topic, this.brokerResource) };
    this.lastSettings = settings;
    return settings;
  }

  /**
   * Dynamic topic configs: of the topics of `replicas` (those with open logs), each whose configs (or the
   * cluster-wide or this broker's defaults) changed in `image`, with its new log config
   * (images share unchanged config maps, so a reference compare finds the changes).
   */
  changedTopics(image: MetadataImage, replicas: Iterable<{ readonly topic: string }>): Map<string, Partial<LogConfig>> {
    const defaults = image.configs(ConfigResourceType.Broker, '');
    const own = image.configs(ConfigResourceType.Broker, this.brokerResource);
    const defaultsChanged = defaults !== this.seenDefaultConfigs || own !== this.seenOwnConfigs;
    this.seenDefaultConfigs = defaults;
    this.seenOwnConfigs = own;
    const changed = new Map<string, Partial<LogConfig>>();
    for (const { topic } of replicas) {
      if (changed.has(topic)) continue;
      const configs = image.configs(ConfigResourceType.Topic, topic);
      if (defaultsChanged || this.seenTopicConfigs.get(topic) !== configs) changed.set(topic, logConfigFor(image, topic, this.brokerResource));
      this.seenTopicConfigs.set(topic, configs);
    }
    return changed;
  }

  /** The codec a topic's batches are rebuilt in (`compression.type` other than `producer`), or undefined. */
  compressionTarget(image: MetadataImage, topic: string): CompressionType | undefined {
    return compressionTargetFor(image, topic, this.brokerResource);
  }

  /** The level a topic's batches are rebuilt at in `type` (its `compression.<type>.level`), or undefined for the codec's default. */
  compressionLevel(image: MetadataImage, topic: string, type: CompressionType): number | undefined {
    return compressionLevelFor(image, topic, type, this.brokerResource);
  }
}
