import type { ControllerChannel } from '../broker/broker.js';
import type { ControllerRequest, ControllerResponse } from '../metadata/requests.js';
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, type Clock, type ClockTimer } from '../util/clock.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { controllerRequestBody, controllerResponseFromBody } from './controller-messages.js';
import { sendNodeRequest, type NodeRequest } from './node-requests.js';

/** The first pause before a retry, and the longest: a new controller is usually known within one election. */
const backoffMinMs = 2;
const backoffMaxMs = 64;

/**
 * A broker's way to the active controller, as a message: each request, encoded as Kafka's
 * own request (`controller-messages.ts`), goes through the nodes' transport to the node this node's own metadata replica names as the Raft
 * leader (what Kafka's `NodeToControllerChannelManager` does with the controller id from
 * its metadata cache). A `NOT_CONTROLLER` answer (the leader moved, or has not committed
 * its epoch yet), an unreachable node or no known leader: wait (2 ms, doubling up to
 * 64 ms) or until this node's metadata quorum next changes (entries committed, a new
 * leader known), whichever comes first, look again, retry, until `timeoutMs` has passed
 * (`REQUEST_TIMED_OUT`). Any other error is the request's. Why the quorum: a new quorum's
 * controller becomes active when its epoch's first entry commits, which every node sees
 * about as soon as the leader does; by then the backoff of a
 * registration sent at open had doubled to 32-64 ms, and each of the three brokers of a
 * starting cluster waited out most of it (measured: registrations answered 20-35 ms after
 * the controller could have taken them).
 *
 * Once `isStopped()` (this node's broker has stopped), a request still waiting is
 * dropped with `CLIENT_CLOSED` rather than handed to the next controller, where a
 * heartbeat caught in a failover would unfence the stopped broker again; once
 * `isClosing()` (its controlled shutdown began), so is a periodic heartbeat.
 * @internal
 */
export class ControllerLink implements ControllerChannel {
  constructor(
    private readonly nodes: Transport,
    private readonly leaderId: () => number,
    private readonly clock: Clock,
    private readonly isStopped: () => boolean,
    private readonly isClosing: () => boolean = () => false,
    private readonly timeoutMs = 30_000,
    private readonly clientId: string | null = null,
    /** Subscribes to this node's quorum changes (entries committed, a new leader known); returns the unsubscribe. */
    private readonly onMetadataChange?: (listener: () => void) => () => void,
  ) {}

  activeControllerId(): number {
    return this.leaderId();
  }

  async submit<R extends ControllerRequest>(request: R): Promise<ControllerResponse<R>> {
    const deadline = this.clock.monotonic() + this.timeoutMs;
    // Made once: a retry to the next controller sends the same request (never changed once sent).
    const { apiKey, version, body } = controllerRequestBody(request);
    const message: NodeRequest = { apiKey, apiVersion: version, correlationId: 0, clientId: this.clientId, body };
    let backoffMs = backoffMinMs;
    for (;;) {
      if (this.isStopped()) throw new TributaryError('CLIENT_CLOSED', 'the broker stopped with the request for the controller waiting');
      // Once the broker's controlled shutdown began, a periodic heartbeat still waiting
      // here must not reach the controller after the shutdown's: it would unfence it.
      if (this.isClosing() && request.type === 'BrokerHeartbeat' && !(request as { wantShutDown?: boolean }).wantShutDown) {
        throw new TributaryError('CLIENT_CLOSED', 'the broker is shutting down');
      }
      const leader = this.leaderId();
      if (leader >= 0) {
        try {
          const answer = await sendNodeRequest<Record<string, unknown>>(this.nodes, leader, message);
          return controllerResponseFromBody(request, apiKey, answer as never) as ControllerResponse<R>;
        } catch (err) {
          if (!isTributaryError(err) || (err.code !== 'NOT_CONTROLLER' && err.code !== 'NETWORK_EXCEPTION')) throw err;
          // A controller that just lost leadership may still be named leader for a
          // moment: retrying it at once would spin.
        }
      }
      if (this.clock.monotonic() >= deadline) throw new TributaryError('REQUEST_TIMED_OUT', `request ${request.type} not committed within ${this.timeoutMs} ms`);
      // Woken by a change, the next wait starts short again: a controller that just
      // activated answers at once, one still catching up soon after.
      backoffMs = (await this.pause(backoffMs)) ? backoffMinMs : Math.min(backoffMs * 2, backoffMaxMs);
    }
  }

  /** Waits `ms`, or less if this node's quorum changes first (then resolves true). */
  private pause(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: ClockTimer | undefined;
      let off = (): void => {};
      timer = startTimer(this.clock, ms, () => {
        off();
        resolve(false);
      });
      off =
        this.onMetadataChange?.(() => {
          off();
          stopTimer(this.clock, timer);
          timer = undefined;
          resolve(true);
        }) ?? off;
    });
  }
}
