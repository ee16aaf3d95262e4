import { describe, expect, it } from 'vitest';
import type { MetadataImage } from '../metadata/image.js';
import { silentLogger } from '../util/logger.js';
import type { ControllerChannel } from './broker.js';
import { BrokerLifecycleManager } from './broker-lifecycle-manager.js';

/** An image as the lifecycle manager reads it: its offset and this broker's registration. */
function image(offset: number, me?: { epoch: number; fenced: boolean }): MetadataImage {
  return { offset, broker: (id: number) => (id === 1 ? me : undefined) } as unknown as MetadataImage;
}

/** A controller whose answers the test releases one at a time. */
function heldController(): { channel: ControllerChannel; sent: { type: string; currentMetadataOffset?: number }[]; release: (answer: object) => void } {
  const sent: { type: string; currentMetadataOffset?: number }[] = [];
  const waiting: ((answer: object) => void)[] = [];
  const channel = {
    submit: (request: { type: string; currentMetadataOffset?: number }) => {
      sent.push(request);
      return new Promise((resolve) => waiting.push(resolve));
    },
    activeControllerId: () => 1,
  } as unknown as ControllerChannel;
  return { channel, sent, release: (answer) => waiting.shift()!(answer) };
}

/** Broker 1's lifecycle manager on `channel`, its image at `metadataOffset()`. */
function manager(channel: ControllerChannel, metadataOffset: () => number): BrokerLifecycleManager {
  return new BrokerLifecycleManager({
    nodeId: 1,
    clusterId: 'c',
    incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA',
    controller: channel,
    endpoint: () => ({ host: 'localhost', port: 0 }),
    metadataOffset,
    offlineReplicas: () => [],
    log: silentLogger,
  });
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('BrokerLifecycleManager', () => {
  it('heartbeats again at once when it catches up with its registration while a heartbeat is in flight', async () => {
    let applied = -1;
    const { channel, sent, release } = heldController();
    const lifecycle = manager(channel, () => applied);
    let registered = false;
    void lifecycle.whenRegistered().then(() => (registered = true));
    void lifecycle.heartbeat();
    await settle();
    // Registered at offset 4 (its broker epoch), then the first heartbeat leaves before
    // this broker's image holds offset 4: the controller keeps it fenced.
    release({ errorCode: 'NONE', brokerEpoch: 4 });
    await settle();
    expect(sent.map((r) => r.type)).toEqual(['BrokerRegistration', 'BrokerHeartbeat']);
    expect(sent[1]!.currentMetadataOffset).toBe(-1); // its image is still empty
    // Its image catches up with the registration while that heartbeat is out.
    applied = 4;
    lifecycle.onImage(image(4, { epoch: 4, fenced: true }));
    await settle();
    expect(sent).toHaveLength(2);
    release({ errorCode: 'NONE', isCaughtUp: false, isFenced: true, shouldShutDown: false });
    await settle();
    // The next heartbeat leaves at once (no periodic beat was called), naming offset 4.
    expect(sent).toHaveLength(3);
    expect(sent[2]).toMatchObject({ type: 'BrokerHeartbeat', currentMetadataOffset: 4 });
    release({ errorCode: 'NONE', isCaughtUp: true, isFenced: false, shouldShutDown: false });
    await settle();
    expect(registered).toBe(false);
    lifecycle.onImage(image(5, { epoch: 4, fenced: false }));
    await settle();
    expect(registered).toBe(true);
    // Unfenced: no further heartbeat until the periodic one.
    expect(sent).toHaveLength(3);
  });

  it('sends no extra heartbeat once unfenced, nor after it stopped', async () => {
    const { channel, sent, release } = heldController();
    const lifecycle = manager(channel, () => 4);
    void lifecycle.heartbeat();
    await settle();
    release({ errorCode: 'NONE', brokerEpoch: 4 });
    await settle();
    // Unfenced by an image while the first heartbeat is out: nothing more to ask.
    lifecycle.onImage(image(5, { epoch: 4, fenced: false }));
    release({ errorCode: 'NONE', isCaughtUp: true, isFenced: false, shouldShutDown: false });
    await settle();
    expect(sent).toHaveLength(2);
    // Fenced again while a heartbeat is out, but stopped meanwhile: nothing is sent.
    void lifecycle.heartbeat();
    await settle();
    lifecycle.onImage(image(6, { epoch: 4, fenced: true }));
    lifecycle.stop();
    release({ errorCode: 'NONE', isCaughtUp: true, isFenced: true, shouldShutDown: false });
    await settle();
    expect(sent).toHaveLength(3);
  });
});
