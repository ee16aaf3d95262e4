/**
 * `tributary serve --control`: commands on standard input, one a line, so that a test in
 * another language (or a person at the terminal) can kill and restart the served cluster's
 * nodes the way a test in this process calls `cluster.killNode(2)`:
 *
 * ```
 * kill-node 2        the node dies at once (no clean shutdown): its leaderships move once
 *                    the controller fences it
 * stop-node 2        a clean (controlled) shutdown
 * restart-node 2     the node reopens its files; answered once it is registered again
 * nodes              every node, with whether it runs, votes, is fenced
 * help               the commands
 * ```
 *
 * Each command gets exactly one answer, a JSON line on stdout after the
 * `bootstrap.servers=` line, in the order the commands came (one runs at a time):
 * `{"command":"kill-node 2","ok":true}`, or `{"command":"...","ok":false,"error":{"code":
 * "INVALID_REQUEST","message":"..."}}`. A blank line or one starting with `#` is ignored.
 * The end of standard input stops the cluster as SIGTERM does, so a parent process that
 * dies takes its `serve --control` with it.
 * @internal
 */
import type { Cluster } from '../cluster.js';
import { isTributaryError } from '../util/errors.js';

export const controlHelp = `Commands (one a line on stdin; one JSON answer a line on stdout):
  kill-node N      kill node N (no clean shutdown)
  stop-node N      stop node N cleanly (controlled shutdown)
  restart-node N   restart a stopped or killed node from its files (answered once registered)
  nodes            list the nodes: id, running, controller, fenced
  help             this list
End of input stops the cluster, as SIGTERM does.
`;

/** One answer line. */
export interface ControlAnswer {
  readonly command: string;
  readonly ok: boolean;
  readonly nodes?: readonly { id: number; running: boolean; controller: boolean; fenced: boolean }[];
  readonly help?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Runs one command line against the cluster; never throws (a failure is an answer with `ok: false`). */
export async function runControlCommand(cluster: Cluster, line: string, log: (line: string) => void): Promise<ControlAnswer> {
  const command = line.trim().replace(/\s+/g, ' ');
  const fail = (code: string, message: string): ControlAnswer => ({ command, ok: false, error: { code, message } });
  const [verb, arg, extra] = command.split(' ');
  if (verb === 'help') return { command, ok: true, help: controlHelp };
  if (verb === 'nodes') {
    if (arg !== undefined) return fail('INVALID_REQUEST', 'nodes takes no argument');
    return { command, ok: true, nodes: cluster.describe().map(({ id, running, controller, fenced }) => ({ id, running, controller, fenced })) };
  }
  if (verb !== 'kill-node' && verb !== 'stop-node' && verb !== 'restart-node') {
    return fail('INVALID_REQUEST', `unknown command ${JSON.stringify(verb)}; one of kill-node, stop-node, restart-node, nodes, help`);
  }
  if (arg === undefined || extra !== undefined || !/^\d+$/.test(arg)) return fail('INVALID_REQUEST', `${verb} takes one node id`);
  const id = Number(arg);
  if (!cluster.nodeIdList.includes(id)) return fail('INVALID_REQUEST', `there is no node ${id} (nodes are ${cluster.nodeIdList.join(', ')})`);
  try {
    if (verb === 'kill-node') {
      cluster.killNode(id);
      log(`node ${id} killed (control)`);
    } else if (verb === 'stop-node') {
      await cluster.stopNode(id);
      log(`node ${id} stopped (control)`);
    } else {
      await cluster.restartNode(id);
      log(`node ${id} restarted (control)`);
    }
    return { command, ok: true };
  } catch (err) {
    return isTributaryError(err) ? fail(err.code, err.message) : fail('UNKNOWN_SERVER_ERROR', err instanceof Error ? err.message : String(err));
  }
}

/**
 * Reads commands from `lines` until they end or `stopped` resolves; answers each with one
 * JSON line through `answer`. Resolves when the input ends (the caller then stops the
 * cluster).
 */
export async function runControl(cluster: Cluster, lines: AsyncIterable<string>, answer: (line: string) => void, log: (line: string) => void): Promise<void> {
  for await (const line of lines) {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    answer(`${JSON.stringify(await runControlCommand(cluster, text, log))}\n`);
  }
}
