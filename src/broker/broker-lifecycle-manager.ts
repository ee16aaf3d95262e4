/**
 * `BrokerLifecycleManager`: a broker's session with the active controller, Kafka's class
 * of that name. It registers the broker (BrokerRegistration, which gives it a broker
 * epoch), heartbeats (BrokerHeartbeat, naming the metadata offset it has applied and its
 * offline replicas), follows its own fencing in the committed metadata (the controller
 * unfences a registered broker once it has caught up with its own registration), and
 * leaves at a clean shutdown (a heartbeat with `wantShutDown`: Kafka's controlled
 * shutdown, which moves this broker's leaderships and ISR places to others first).
 *
 * It decides nothing about partitions; it only keeps the epoch every broker-to-controller
 * request carries and the fenced flag.
 * @internal
 */
import type { MetadataImage } from '../metadata/image.js';
import type { Uuid } from '../metadata/uuid.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { withTimeout } from '../util/timeout.js';
import type { ControllerChannel } from './broker.js';

export interface BrokerLifecycleOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly incarnationId: Uuid;
  readonly controller: ControllerChannel;
  /** The address the broker advertises (its listener, once bound). */
  /** Where the broker is reached, and its listener's name (its security protocol: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL). */
  readonly endpoint: () => { readonly host: string; readonly port: number; readonly name?: keyof typeof securityProtocolIds };
  /** The offset of the metadata image the broker has applied (-1 before the first). */
  readonly metadataOffset: () => number;
  /** The replicas whose storage failed, named in every heartbeat. */
  readonly offlineReplicas: () => { topicId: Uuid; partitionIndex: number }[];
  readonly log: Logger;
  /** Whose time the controlled shutdown's timeout runs in (default the system clock). */
  readonly clock?: Clock;
}

/** How long a controlled shutdown waits for the controller to commit it. */
export const controlledShutdownTimeoutMs = 10_000;

/** Kafka's `SecurityProtocol` ids, by listener name. */
const securityProtocolIds = { PLAINTEXT: 0, SSL: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3 } as const;

export class BrokerLifecycleManager {
  private epoch = -1;
  private fenced = true;
  private stopped = false;
  private heartbeatInFlight = false;
  /**
   * A heartbeat was asked for while one was in flight: it is sent as soon as that one
   * ends (Kafka's `nextSchedulingShouldBeImmediate`). Why: a broker's first heartbeat
   * usually leaves right after its registration answer, before its own image holds the
   * registration, so the controller keeps it fenced; the image that catches up arrives
   * while that heartbeat is still out. Skipped, the unfencing waited for the next
   * periodic beat (250 ms): one start in two of a 3-node cluster.
   */
  private heartbeatAgain = false;
  private readonly registered: Promise<void>;
  private resolveRegistered!: () => void;

  constructor(private readonly options: BrokerLifecycleOptions) {
    this.registered = new Promise((r) => (this.resolveRegistered = r));
  }

  /** The broker epoch the controller gave this incarnation, -1 until registered (or after the session was lost). */
  get brokerEpoch(): number {
    return this.epoch;
  }

  get isFenced(): boolean {
    return this.fenced;
  }

  /** Resolves once the controller has registered and unfenced this broker. */
  whenRegistered(): Promise<void> {
    return this.registered;
  }

  /**
   * Follows this broker's registration in a newly committed image: unfenced or fenced
   * again. Registered and now caught up with its own registration, it asks to be
   * unfenced at once rather than at the next heartbeat.
   */
  onImage(image: MetadataImage): void {
    const me = image.broker(this.options.nodeId);
    if (me && me.epoch === this.epoch && !me.fenced && this.fenced) {
      this.fenced = false;
      this.resolveRegistered();
    } else if (me && me.epoch === this.epoch && me.fenced) {
      this.fenced = true;
    }
    if (this.fenced && this.epoch >= 0 && image.offset >= this.epoch) {
      if (this.heartbeatInFlight) this.heartbeatAgain = true;
      else void this.heartbeat();
    }
  }

  /** Registers if needed, then heartbeats; one at a time. A lost session registers again on the next beat. */
  async heartbeat(): Promise<void> {
    if (this.stopped || this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    const o = this.options;
    try {
      if (this.epoch < 0) {
        const { host, port, name = 'PLAINTEXT' } = o.endpoint();
        const r = await o.controller.submit({
          type: 'BrokerRegistration',
          brokerId: o.nodeId,
          clusterId: o.clusterId,
          incarnationId: o.incarnationId,
          listeners: [{ name, host, port, securityProtocol: securityProtocolIds[name] }],
          rack: null,
        });
        if (r.errorCode !== 'NONE') return; // e.g. the old incarnation's session still lives: try again next beat
        this.epoch = r.brokerEpoch;
      }
      const offline = o.offlineReplicas();
      const r = await o.controller.submit({ type: 'BrokerHeartbeat', brokerId: o.nodeId, brokerEpoch: this.epoch, currentMetadataOffset: o.metadataOffset(), ...(offline.length > 0 ? { offlineReplicas: offline } : {}) });
      if (r.errorCode === 'STALE_BROKER_EPOCH' || r.errorCode === 'BROKER_ID_NOT_REGISTERED') this.epoch = -1;
    } catch {
      // No active controller right now: the next beat tries again.
    } finally {
      this.heartbeatInFlight = false;
      if (this.heartbeatAgain) {
        this.heartbeatAgain = false;
        if (this.fenced) void this.heartbeat();
      }
    }
  }

  /**
   * Kafka's controlled shutdown: one heartbeat with `wantShutDown`, after which no
   * periodic heartbeat may follow (it would unfence this broker again). Never throws: a
   * controller that does not answer fences this broker when its session expires.
   */
  async controlledShutdown(): Promise<void> {
    this.stopped = true;
    if (this.epoch < 0) return;
    const o = this.options;
    try {
      // 10 s, not 2: on a loaded machine the quorum's commit of this heartbeat took longer
      // than 2 s, the broker stopped unfenced, and new replicas went to the stopped node
      // (Kafka's broker waits minutes for its controlled shutdown).
      await withTimeout(
        o.controller.submit({ type: 'BrokerHeartbeat', brokerId: o.nodeId, brokerEpoch: this.epoch, currentMetadataOffset: o.metadataOffset(), wantShutDown: true }),
        controlledShutdownTimeoutMs,
        'controlled shutdown',
        o.clock,
      );
    } catch (err) {
      o.log.warn({ nodeId: o.nodeId, err }, `node ${o.nodeId}: controlled shutdown failed (no active controller?); stopping anyway, the controller fences it when its session expires`);
    }
  }

  /** No more heartbeats (a kill, or after the controlled shutdown). */
  stop(): void {
    this.stopped = true;
  }
}
