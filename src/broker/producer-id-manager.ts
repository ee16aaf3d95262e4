/**
 * `ProducerIdManager`: hands out producer ids for InitProducerId from blocks the
 * controller allocates (AllocateProducerIds), Kafka's `RPCProducerIdManager`. One
 * allocation is in flight at a time; concurrent callers share it.
 * @internal
 */
import { TributaryError } from '../util/errors.js';
import type { ControllerChannel } from './broker.js';

export class ProducerIdManager {
  private block = { next: 0, end: 0 };
  private pending: Promise<void> | undefined;

  constructor(
    private readonly nodeId: number,
    private readonly controller: ControllerChannel,
    private readonly brokerEpoch: () => number,
  ) {}

  /** The next producer id; rejects with the controller's error when no block can be had. */
  async generateProducerId(): Promise<number> {
    while (this.block.next >= this.block.end) {
      this.pending ??= (async () => {
        const r = await this.controller.submit({ type: 'AllocateProducerIds', brokerId: this.nodeId, brokerEpoch: this.brokerEpoch() });
        if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, r.errorMessage ?? 'producer ids not allocated');
        this.block = { next: r.producerIdStart, end: r.producerIdStart + r.producerIdLen };
      })().finally(() => (this.pending = undefined));
      await this.pending;
    }
    return this.block.next++;
  }
}
