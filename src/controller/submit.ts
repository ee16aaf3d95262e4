import type { ControllerRequest, ControllerResponse } from '../metadata/requests.js';
import type { Clock } from '../util/clock.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { delay } from '../util/timeout.js';
import type { ControllerNode } from './controller-node.js';

/**
 * Submits a request to whichever controller is active, waiting for one (polling every
 * few milliseconds) and retrying on the next when leadership moves (NOT_CONTROLLER),
 * until `timeoutMs` passes (REQUEST_TIMED_OUT). What brokers and admin clients do with
 * Kafka's controller.
 * @internal
 */
export async function submitToActive<R extends ControllerRequest>(
  findActive: () => ControllerNode | undefined,
  request: R,
  clock: Clock,
  timeoutMs: number,
  isClosed: () => boolean,
): Promise<ControllerResponse<R>> {
  const deadline = clock.monotonic() + timeoutMs;
  for (;;) {
    if (isClosed()) throw new TributaryError('CLIENT_CLOSED', 'closed');
    const leader = findActive();
    if (leader) {
      try {
        return await leader.submit(request);
      } catch (err) {
        if (!isTributaryError(err) || err.code !== 'NOT_CONTROLLER') throw err;
        // Fall through to the wait: a controller that just lost leadership may still look
        // active for a moment, and retrying it without a pause would spin.
      }
    }
    if (clock.monotonic() >= deadline) throw new TributaryError('REQUEST_TIMED_OUT', `request ${request.type} not committed within ${timeoutMs} ms`);
    await delay(2, clock);
  }
}
