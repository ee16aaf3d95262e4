import type { BrokerChannel } from '../broker/broker.js';
import type { MetadataImage } from '../metadata/image.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import { servedApiVersions } from '../protocol/wire/codec.js';
import { nodeApiVersion, type NodeRequestBody } from '../protocol/wire/node-codec.js';
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, type Clock, type ClockTimer } from '../util/clock.js';
import { zeroUuid } from '../util/uuid.js';
import { sendNodeRequest, type NodeRequest } from './node-requests.js';

const maxVersion = new Map(servedApiVersions.map((a) => [a.apiKey as number, a.maxVersion]));

/**
 * A broker's way to the other brokers (its replica fetcher's Fetch to a partition's
 * leader): each request goes as a `NodeRequest` at the newest version the client codec
 * serves (Fetch v12, with `ReplicaId` naming the follower, as Kafka's followers sent it
 * before KIP-903 moved it into `ReplicaState`), encoded only where it crosses a thread.
 * @internal
 */
export class BrokerLink implements BrokerChannel {
  private correlationId = 0;

  constructor(
    private readonly nodes: Transport,
    private readonly clientId: string,
  ) {}

  async send<R extends Request>(nodeId: number, request: R): Promise<ResponseFor<R>> {
    const apiVersion = maxVersion.get(request.apiKey)!;
    const correlationId = this.correlationId++;
    return sendNodeRequest<ResponseFor<R>>(this.nodes, nodeId, { apiKey: request.apiKey, apiVersion, correlationId, clientId: this.clientId, body: request });
  }
}

/**
 * A partition's leader opened its replica: each follower is told with a LeaderAndIsr
 * request naming the partition's state as this node's metadata has it, and opens its own
 * replica. Kafka has no such message any more: a KRaft broker opens every replica its
 * metadata assigns it. Tributary opens a partition's files only on first use (a cluster
 * may name far more partitions than it has open files), so the follower of a partition
 * nobody has touched learns of the first use from the leader; LeaderAndIsr, the request
 * ZooKeeper-era controllers sent to make a broker a partition's leader or follower, is the
 * Kafka message that says exactly that. Sent by a broker, not a controller: `controllerId`
 * names the sender and `controllerEpoch` is -1. A follower also opens its replica when its
 * metadata names it and data from before a restart exists, or on its own first use; and `LeaderAndIsrSender` sends again what a broken link lost.
 * @internal
 */
export function leaderAndIsrBody(selfId: number, image: MetadataImage, topic: string, partition: number): NodeRequestBody<4> {
  const t = image.topic(topic);
  const p = t?.partitions[partition];
  return {
    controllerId: selfId,
    isKRaftController: false,
    controllerEpoch: -1,
    brokerEpoch: -1,
    type: 0,
    topicStates: [
      {
        topicName: topic,
        topicId: t?.id ?? zeroUuid,
        partitionStates: [
          {
            partitionIndex: partition,
            controllerEpoch: -1,
            leader: p?.leader ?? selfId,
            leaderEpoch: p?.leaderEpoch ?? -1,
            isr: p?.isr ?? [],
            partitionEpoch: p?.partitionEpoch ?? -1,
            replicas: p?.replicas ?? [],
            isNew: false,
          },
        ],
      },
    ],
    liveLeaders: [],
  };
}

/** The first pause before a LeaderAndIsr is sent again, and the longest. */
const retryMinMs = 100;
const retryMaxMs = 30_000;

/**
 * Sends a leader's LeaderAndIsr requests. A follower that never hears one never opens its
 * replica of a partition nobody touched, and stays in the ISR without fetching until
 * the leader shrinks it (an acks=all produce waits that long), then leaves the partition
 * short of `min.insync.replicas` for good (a restarted follower opens only the replicas
 * it has folders for). So a request that fails (a broken link, an unreachable follower)
 * is sent again, 100 ms doubling to 30 s, for as long as `wanted(follower, topic,
 * partition)` holds (this node still leads the partition, the follower is still one of
 * its replicas), until answered or `close()`. The timers do not hold the process open.
 * @internal
 */
export class LeaderAndIsrSender {
  private readonly timers = new Set<ClockTimer>();
  private closed = false;

  constructor(
    private readonly nodes: Transport,
    private readonly selfId: number,
    private readonly clock: Clock,
    private readonly wanted: (follower: number, topic: string, partition: number) => boolean = () => true,
  ) {}

  /** Tells `followers` that this leader opened its replica of `topic`-`partition`. */
  send(image: MetadataImage, topic: string, partition: number, followers: readonly number[]): void {
    const request: NodeRequest = { apiKey: 4, apiVersion: nodeApiVersion(4), correlationId: 0, clientId: `broker-${this.selfId}`, body: leaderAndIsrBody(this.selfId, image, topic, partition) };
    for (const r of followers) if (r !== this.selfId) this.attempt(r, topic, partition, request, retryMinMs);
  }

  private attempt(follower: number, topic: string, partition: number, request: NodeRequest, backoffMs: number): void {
    if (this.closed) return;
    sendNodeRequest(this.nodes, follower, request).catch(() => {
      if (this.closed || !this.wanted(follower, topic, partition)) return;
      const t = startTimer(
        this.clock,
        backoffMs,
        () => {
          this.timers.delete(t);
          this.attempt(follower, topic, partition, request, Math.min(backoffMs * 2, retryMaxMs));
        },
        true,
      );
      this.timers.add(t);
    });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) stopTimer(this.clock, t);
    this.timers.clear();
  }
}
