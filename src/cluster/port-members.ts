import { ApiKey } from '../protocol/api-keys.js';
import type { JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest } from '../protocol/group.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { NodeHandler } from '../transport/transport.js';
import type { Logger } from '../util/logger.js';

interface Member {
  readonly groupId: string;
  readonly memberId: string;
  /** The node that answered its JoinGroup: the group's coordinator then. */
  readonly nodeId: number;
}

/**
 * The consumer group members that joined through one client thread's port, so that when
 * that thread is seen to exit (its port closed without a goodbye: the worker ended or was
 * terminated) the cluster leaves their groups on their behalf at once, as Kafka's
 * coordinator does when a consumer's connection closes with a LeaveGroup never sent,
 * instead of waiting out the session timeout. Members are learnt from the JoinGroup
 * answers that pass through, forgotten on their own LeaveGroup. Static members
 * (`groupInstanceId`) are left alone: their point is to survive a restart.
 * @internal
 */
export class PortMembers {
  private readonly members = new Map<string, Member>();

  /** `handler`, watching the JoinGroup and LeaveGroup requests that pass through it. */
  wrap(nodeId: number, handler: NodeHandler): NodeHandler {
    return {
      handle: async <R extends Request>(request: R, context?: Parameters<NodeHandler['handle']>[1]): Promise<ResponseFor<R>> => {
        const response = await handler.handle(request, context);
        if (request.apiKey === ApiKey.JoinGroup) {
          const req = request as unknown as JoinGroupRequest;
          const res = response as unknown as JoinGroupResponse;
          if (res.memberId !== '' && (req.groupInstanceId ?? null) === null && (res.errorCode === 'NONE' || res.errorCode === 'MEMBER_ID_REQUIRED')) {
            this.members.set(`${req.groupId}\u0000${res.memberId}`, { groupId: req.groupId, memberId: res.memberId, nodeId });
          }
        } else if (request.apiKey === ApiKey.LeaveGroup) {
          const req = request as unknown as LeaveGroupRequest;
          for (const m of req.members) this.members.delete(`${req.groupId}\u0000${m.memberId}`);
        }
        return response;
      },
    };
  }

  /** Sends a LeaveGroup for every member still known, each to the node that took its join. */
  async leaveAll(handlerOf: (nodeId: number) => NodeHandler | undefined, log: Logger): Promise<void> {
    const members = [...this.members.values()];
    this.members.clear();
    await Promise.all(
      members.map(async (m) => {
        const request: LeaveGroupRequest = { apiKey: ApiKey.LeaveGroup, groupId: m.groupId, members: [{ memberId: m.memberId, groupInstanceId: null, reason: 'the client thread that held the member exited' }] };
        try {
          await handlerOf(m.nodeId)?.handle(request);
          log.info({ groupId: m.groupId, memberId: m.memberId }, `member ${m.memberId} of group ${m.groupId} left: its client thread exited`);
        } catch {
          // The coordinator moved or the node stopped: the session timeout drops the member instead.
        }
      }),
    );
  }

  get size(): number {
    return this.members.size;
  }
}
