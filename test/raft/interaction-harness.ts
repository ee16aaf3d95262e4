/**
 * Scripted interaction tests for the Raft core, after etcd-io/raft's `interaction_test.go`:
 * a script is a list of commands, each followed by a `----` line and the trace that
 * command produced (the messages sent, with every field, what each node persisted and
 * what it committed). `runScript` runs the commands against fresh `RaftCore`s and returns
 * the script with the traces it produced, so a test compares that text with the file and
 * `REWRITE=1` writes it back.
 *
 * The harness is a tiny cluster with everything explicit: messages wait in one queue
 * (in send order) until a command delivers them; time passes only when a command ticks;
 * after every input a node's `Ready` is processed in the contract's order (persist, then
 * send, then apply) unless the node is held, in which case `process-ready` does it by
 * hand and may crash the node after persisting. Each node's state machine is the list of
 * the data of the entries it applied; a snapshot is that list as JSON.
 *
 * Commands (IDS is `1`, `1,2,3` or `all`):
 *
 *   add-nodes N [voters=1,2,3] [observers=100] [election=4] [check-quorum=6] [fetch-max=8]
 *   campaign ID                   stand for election now (through pre-vote)
 *   campaign-first ID             stand for election as a node that opens does
 *                                 (`campaignFirst`: no pre-vote in epoch 0)
 *   tick IDS [xK] [stabilize] [quiet]
 *                                 K rounds of one tick per node (and, with `stabilize`,
 *                                 delivery until quiet after each round)
 *   propose ID DATA
 *   deliver-msgs [from=IDS] [to=IDS] [type=T] [drop] [dup] [quiet]
 *                                 deliver the queued messages that match (those queued
 *                                 now, not those their delivery causes); `drop` discards
 *                                 them instead; `dup` delivers them and puts a copy aside
 *                                 (see release-msgs)
 *   delay-msgs [from=IDS] [to=IDS] [type=T]
 *                                 put matching queued messages aside
 *   release-msgs                  queue the messages put aside again, after the others
 *   stabilize [quiet]             deliver until no message is queued
 *   partition 1 2 | 3             messages between the groups are lost on delivery; nodes
 *                                 not named join the first group
 *   heal
 *   crash ID                      the node stops; what it did not persist is lost
 *   restart ID                    a new core from what the node persisted
 *   hold ID                       stop processing the node's Ready after each input
 *   process-ready ID [crash-after-persist]
 *                                 process a held node's Ready by hand
 *   snapshot ID                   the node's state machine snapshots what it applied
 *   status                        role, epoch, leader, high watermark, log range per node
 *   log ID                        the node's log, snapshot and state machine
 *
 * Notation: an entry is `offset/eEPOCH:"data"`, or `offset/eEPOCH:leader-change`.
 */
import { RaftCore, type Entry, type HardState, type Message, type Ready, type Snapshot } from '../../src/raft/core/kraft.js';
import { Rng } from '../../src/util/rng.js';

interface Durable {
  hardState?: HardState;
  snapshot?: Snapshot;
  entries: Entry[];
}

interface Node {
  readonly id: number;
  core: RaftCore | undefined;
  incarnation: number;
  readonly durable: Durable;
  /** The state machine: the data of every applied entry, in order. */
  applied: string[];
  appliedEnd: number;
  held: boolean;
}

interface Options {
  voters: number[];
  electionTicks: number;
  checkQuorumTicks: number;
  fetchEntriesMax: number;
}

const text = new TextEncoder();
const untext = new TextDecoder();

/** Deliveries one `stabilize` may make before the harness calls it a livelock. */
const stabilizeDeliveriesMax = 10_000;

export class InteractionEnv {
  private readonly nodes = new Map<number, Node>();
  private options: Options | undefined;
  private queue: Message[] = [];
  private aside: Message[] = [];
  private side = new Map<number, number>();
  private out: string[] = [];

  /** Runs one command line and returns its trace. */
  run(line: string): string {
    this.out = [];
    const [cmd, ...args] = line.trim().split(/\s+/);
    const flags = new Set(args.filter((a) => !a.includes('=')));
    const kv = new Map(args.filter((a) => a.includes('=')).map((a) => a.split('=', 2) as [string, string]));
    switch (cmd) {
      case 'add-nodes':
        this.addNodes(Number(args[0]), kv);
        break;
      case 'campaign':
        this.input(this.node(args[0]), (c) => c.campaign());
        break;
      case 'campaign-first':
        this.input(this.node(args[0]), (c) => c.campaignFirst());
        break;
      case 'tick':
        this.tick(args[0] ?? 'all', args.find((a) => /^x\d+$/.test(a)), flags);
        break;
      case 'propose': {
        const n = this.node(args[0]);
        const data = args.slice(1).join(' ');
        this.input(n, (c) => {
          const r = c.propose(text.encode(data));
          this.print('error' in r ? `${n.id} refuses: ${r.error} (leader ${r.leaderId})` : `${n.id} appends ${r.offset}/e${r.epoch}:${JSON.stringify(data)}`);
        });
        break;
      }
      case 'deliver-msgs':
        this.deliver(this.take(kv, flags.has('dup') ? 'copy' : 'move'), flags.has('drop'), flags.has('quiet'), flags.has('dup'));
        break;
      case 'delay-msgs': {
        const taken = this.take(kv, 'move');
        this.aside.push(...taken);
        for (const m of taken) this.print(`delayed ${formatMessage(m)}`);
        break;
      }
      case 'release-msgs':
        for (const m of this.aside) this.print(`released ${formatMessage(m)}`);
        this.queue.push(...this.aside);
        this.aside = [];
        break;
      case 'stabilize':
        this.stabilize(flags.has('quiet'));
        break;
      case 'partition': {
        this.side = new Map();
        args.join(' ').split('|').forEach((group, i) => {
          for (const id of group.trim().split(/\s+/).filter(Boolean)) this.side.set(Number(id), i);
        });
        break;
      }
      case 'heal':
        this.side = new Map();
        break;
      case 'crash': {
        const n = this.node(args[0]);
        n.core = undefined;
        this.print(`${n.id} crashed; it persisted ${describeDurable(n.durable)}`);
        break;
      }
      case 'restart':
        this.restart(this.node(args[0]));
        break;
      case 'hold':
        this.node(args[0]).held = true;
        break;
      case 'process-ready': {
        const n = this.node(args[0]);
        this.processReady(n, flags.has('crash-after-persist'));
        break;
      }
      case 'snapshot': {
        const n = this.node(args[0]);
        const c = this.live(n);
        const data = text.encode(JSON.stringify(n.applied));
        c.takeSnapshot(n.appliedEnd, data);
        // The shell may now drop the log before the snapshot from stable storage.
        const s = c.latestSnapshot!;
        n.durable.snapshot = s;
        n.durable.entries = n.durable.entries.filter((e) => e.offset >= s.endOffset);
        this.print(`${n.id} snapshot end=${s.endOffset} epoch=${s.epoch} data=${untext.decode(s.data)}; log now [${c.logStartOffset},${c.logEndOffset})`);
        break;
      }
      case 'status':
        for (const n of this.nodes.values()) this.print(this.status(n));
        break;
      case 'log': {
        const n = this.node(args[0]);
        const c = this.live(n);
        const s = c.latestSnapshot;
        this.print(`${n.id} snapshot: ${s ? `end=${s.endOffset} epoch=${s.epoch}` : 'none'}`);
        this.print(`${n.id} log: ${formatEntries(c.entriesBetween(c.logStartOffset, c.logEndOffset)) || '(empty)'}`);
        this.print(`${n.id} state machine: ${JSON.stringify(n.applied)} (applied up to ${n.appliedEnd}, high watermark ${c.highWatermark})`);
        break;
      }
      default:
        throw new Error(`unknown command "${cmd}"`);
    }
    return this.out.length > 0 ? this.out.join('\n') : 'ok';
  }

  // ------------------------------------------------------------------ nodes

  private addNodes(count: number, kv: Map<string, string>): void {
    const ids = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(',').map(Number));
    const voters = kv.has('voters') ? ids(kv.get('voters')) : Array.from({ length: count }, (_, i) => i + 1);
    const observers = ids(kv.get('observers'));
    if (voters.length + observers.length !== count) throw new Error(`add-nodes ${count}: ${voters.length} voters and ${observers.length} observers`);
    this.options = {
      voters,
      electionTicks: Number(kv.get('election') ?? 4),
      checkQuorumTicks: Number(kv.get('check-quorum') ?? 6),
      fetchEntriesMax: Number(kv.get('fetch-max') ?? 8),
    };
    for (const id of [...voters, ...observers]) {
      const n: Node = { id, core: undefined, incarnation: 0, durable: { entries: [] }, applied: [], appliedEnd: 0, held: false };
      n.core = this.makeCore(n);
      this.nodes.set(id, n);
      this.print(this.status(n));
    }
  }

  private makeCore(n: Node): RaftCore {
    const o = this.options!;
    // Each incarnation draws its own election timeouts, the same on every run.
    const rng = new Rng(n.id * 1000 + n.incarnation);
    const d = n.durable;
    return new RaftCore(
      { id: n.id, voters: o.voters, rng, electionTicks: o.electionTicks, checkQuorumTicks: o.checkQuorumTicks, fetchEntriesMax: o.fetchEntriesMax },
      { ...(d.hardState ? { hardState: d.hardState } : {}), ...(d.snapshot ? { snapshot: d.snapshot } : {}), entries: d.entries },
    );
  }

  private restart(n: Node): void {
    if (n.core) throw new Error(`restart ${n.id}: the node is running`);
    n.incarnation++;
    n.held = false;
    n.core = this.makeCore(n);
    const s = n.durable.snapshot;
    n.applied = s ? (JSON.parse(untext.decode(s.data)) as string[]) : [];
    n.appliedEnd = s?.endOffset ?? 0;
    this.print(`${n.id} restarted from ${describeDurable(n.durable)}`);
    this.print(this.status(n));
  }

  private node(arg: string | undefined): Node {
    const n = this.nodes.get(Number(arg));
    if (!n) throw new Error(`no node "${arg}"`);
    return n;
  }

  private live(n: Node): RaftCore {
    if (!n.core) throw new Error(`node ${n.id} is down`);
    return n.core;
  }

  private ids(spec: string): Node[] {
    if (spec === 'all') return [...this.nodes.values()];
    return spec.split(',').map((s) => this.node(s));
  }

  // ------------------------------------------------------------------ inputs and Ready

  /** Feeds one input to a node, then prints what changed and processes its Ready. */
  private input(n: Node, f: (c: RaftCore) => void): void {
    const c = this.live(n);
    const before = roleLine(c);
    f(c);
    const after = roleLine(c);
    if (after !== before) this.print(`${n.id} is ${after}`);
    if (!n.held && n.core) this.processReady(n, false);
  }

  private processReady(n: Node, crashAfterPersist: boolean): void {
    const c = this.live(n);
    if (!c.hasReady()) {
      if (n.held) this.print(`${n.id} has no Ready`);
      return;
    }
    const r = c.ready();
    this.persist(n, r);
    if (crashAfterPersist) {
      n.core = undefined;
      const count = (n: number, what: string) => (n === 0 ? '' : `${n} ${what}${what.endsWith('entr') ? (n === 1 ? 'y' : 'ies') : n === 1 ? '' : 's'}`);
      const lost = [count(r.messages.length, 'unsent message'), count(r.committed.length, 'unapplied entr')].filter(Boolean);
      this.print(`${n.id} crashed after persisting${lost.length > 0 ? `, losing ${lost.join(' and ')}` : ''}`);
      return;
    }
    for (const m of r.messages) {
      this.print(`${n.id} sends ${formatMessage(m)}`);
      this.queue.push(m);
    }
    this.apply(n, r);
  }

  private persist(n: Node, r: Ready): void {
    const d = n.durable;
    if (r.hardState) {
      d.hardState = r.hardState;
      this.print(`${n.id} persists hardState epoch=${r.hardState.epoch} votedFor=${r.hardState.votedFor}`);
    }
    if (r.truncateTo !== undefined) {
      const to = r.truncateTo;
      this.print(`${n.id} persists truncation to ${to}, dropping ${formatEntries(d.entries.filter((e) => e.offset >= to))}`);
      d.entries = d.entries.filter((e) => e.offset < to);
    }
    if (r.snapshot) {
      d.snapshot = r.snapshot;
      d.entries = [];
      this.print(`${n.id} persists snapshot end=${r.snapshot.endOffset} epoch=${r.snapshot.epoch}`);
    }
    if (r.entries.length > 0) {
      for (const e of r.entries) {
        const start = d.snapshot?.endOffset ?? 0;
        const end = d.entries.length > 0 ? d.entries[d.entries.length - 1]!.offset + 1 : start;
        if (e.offset !== end) throw new Error(`node ${n.id} persisted entry ${e.offset} after ${end - 1}`);
        d.entries.push(e);
      }
      this.print(`${n.id} persists ${formatEntries(r.entries)}`);
    }
  }

  private apply(n: Node, r: Ready): void {
    if (r.snapshot) {
      n.applied = JSON.parse(untext.decode(r.snapshot.data)) as string[];
      n.appliedEnd = r.snapshot.endOffset;
      this.print(`${n.id} restores its state machine from the snapshot: ${JSON.stringify(n.applied)}`);
    }
    if (r.committed.length === 0) return;
    for (const e of r.committed) {
      if (e.offset !== n.appliedEnd) throw new Error(`node ${n.id} applied ${e.offset}, expected ${n.appliedEnd}`);
      if (e.data !== null) n.applied.push(untext.decode(e.data));
      n.appliedEnd = e.offset + 1;
    }
    this.print(`${n.id} applies ${formatEntries(r.committed)}`);
  }

  private tick(spec: string, repeat: string | undefined, flags: Set<string>): void {
    const rounds = repeat === undefined ? 1 : Number(repeat.slice(1));
    const quiet = flags.has('quiet');
    for (let i = 1; i <= rounds; i++) {
      const mark = this.out.length;
      const saved = this.out;
      if (quiet) this.out = [];
      for (const n of this.ids(spec)) if (n.core) this.input(n, (c) => c.tick());
      if (flags.has('stabilize')) this.stabilize(quiet);
      if (quiet) this.out = saved;
      else if (rounds > 1 && this.out.length > mark) this.out.splice(mark, 0, `tick ${i}:`);
    }
    if (quiet) this.print(`(${rounds} rounds, quiet)`);
  }

  // ------------------------------------------------------------------ the network

  private take(kv: Map<string, string>, mode: 'move' | 'copy'): Message[] {
    const from = kv.has('from') ? new Set(this.ids(kv.get('from')!).map((n) => n.id)) : undefined;
    const to = kv.has('to') ? new Set(this.ids(kv.get('to')!).map((n) => n.id)) : undefined;
    const type = kv.get('type');
    const match = (m: Message) => (from === undefined || from.has(m.from)) && (to === undefined || to.has(m.to)) && (type === undefined || m.type === type);
    const taken = this.queue.filter(match);
    this.queue = this.queue.filter((m) => !match(m));
    if (mode === 'copy') this.aside.push(...taken);
    return taken;
  }

  private deliver(msgs: Message[], drop: boolean, quiet: boolean, dup: boolean): number {
    const saved = this.out;
    if (quiet) this.out = [];
    for (const m of msgs) {
      const to = this.nodes.get(m.to)!;
      if (drop) this.print(`dropped ${formatMessage(m)}`);
      else if ((this.side.get(m.from) ?? 0) !== (this.side.get(m.to) ?? 0)) this.print(`lost ${formatMessage(m)} (partitioned)`);
      else if (!to.core) this.print(`lost ${formatMessage(m)} (${m.to} is down)`);
      else {
        this.print(`${formatMessage(m)}${dup ? ' (a copy is delayed)' : ''}`);
        const mark = this.out.length;
        this.input(to, (c) => c.step(m));
        for (let i = mark; i < this.out.length; i++) this.out[i] = `  ${this.out[i]}`;
      }
    }
    if (quiet) this.out = saved;
    return msgs.length;
  }

  private stabilize(quiet: boolean): void {
    let delivered = 0;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      delivered += this.deliver(batch, false, quiet, false);
      if (delivered > stabilizeDeliveriesMax) throw new Error(`stabilize: still not quiet after ${delivered} messages`);
    }
  }

  // ------------------------------------------------------------------ output

  private status(n: Node): string {
    if (!n.core) return `${n.id}: down; persisted ${describeDurable(n.durable)}`;
    const c = n.core;
    return `${n.id}: ${roleLine(c)} hw=${c.highWatermark} log=[${c.logStartOffset},${c.logEndOffset}) votedFor=${c.votedFor}${n.held ? ' (held)' : ''}`;
  }

  private print(line: string): void {
    this.out.push(line);
  }
}

function roleLine(c: RaftCore): string {
  return `${c.role} epoch=${c.epoch} leader=${c.leaderId}`;
}

function formatEntry(e: Entry): string {
  return `${e.offset}/e${e.epoch}:${e.data === null ? 'leader-change' : JSON.stringify(untext.decode(e.data))}`;
}

function formatEntries(es: readonly Entry[]): string {
  return es.map(formatEntry).join(' ');
}

function describeDurable(d: Durable): string {
  const h = d.hardState ? `epoch=${d.hardState.epoch} votedFor=${d.hardState.votedFor}` : 'no hardState';
  const s = d.snapshot ? `snapshot end=${d.snapshot.endOffset}` : 'no snapshot';
  return `${h}, ${s}, log ${formatEntries(d.entries) || '(empty)'}`;
}

/**
 * One message on one line: sender, receiver, type, then every other field in the order
 * the core wrote them (so a field added to a message shows up in the traces).
 */
export function formatMessage(m: Message): string {
  const fields = Object.entries(m)
    .filter(([k]) => k !== 'from' && k !== 'to' && k !== 'type')
    .map(([k, v]) => `${k}=${formatValue(k, v)}`);
  return `${m.from}->${m.to} ${m.type} ${fields.join(' ')}`;
}

function formatValue(key: string, v: unknown): string {
  if (key === 'entries') return `[${formatEntries(v as Entry[])}]`;
  if (v instanceof Uint8Array) return untext.decode(v);
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}=${formatValue(k, x)}`)
      .join(' ')}}`;
  }
  return String(v);
}

/**
 * Runs a script: comments (`#`) and blank lines are kept; every other line is a command,
 * whose `----` section (if any) is replaced with the trace the command produces now.
 * Returns the script as it should read.
 */
export function runScript(script: string): string {
  const env = new InteractionEnv();
  const lines = script.split('\n');
  const result: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      result.push(line);
      i++;
      continue;
    }
    let trace: string;
    try {
      trace = env.run(line);
    } catch (err) {
      throw new Error(`line ${i + 1} "${line}": ${(err as Error).message}`, { cause: err });
    }
    result.push(line, '----', trace);
    i++;
    if (lines[i] === '----') {
      i++;
      while (i < lines.length && lines[i]!.trim() !== '') i++;
    }
    if (i < lines.length && lines[i]!.trim() !== '') result.push('');
  }
  return result.join('\n');
}
