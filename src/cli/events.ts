/**
 * What changed between two metadata images, as lines a person reads: topics created and
 * deleted, partitions added, brokers registered, fenced and unfenced, partition leaders
 * moved. `tributary serve` prints them on stderr as the cluster runs.
 * @internal
 */
import type { MetadataImage } from '../metadata/image.js';

/** The lines describing what changed from `before` to `after` (none when nothing did). */
export function describeChanges(before: MetadataImage | undefined, after: MetadataImage): string[] {
  const lines: string[] = [];
  after.forEachBroker((b) => {
    const old = before?.broker(b.id);
    const e = b.endpoints[0];
    const where = e ? ` at ${e.host}:${e.port}${e.name !== 'PLAINTEXT' ? ` (${e.name})` : ''}` : '';
    if (old === undefined || old.epoch !== b.epoch) lines.push(`node ${b.id} registered${where}${b.fenced ? ' (fenced until caught up)' : ''}`);
    else if (!old.fenced && b.fenced) lines.push(`node ${b.id} fenced`);
    else if (old.fenced && !b.fenced) lines.push(`node ${b.id} unfenced${where}`);
  });
  before?.forEachBroker((b) => {
    if (after.broker(b.id) === undefined) lines.push(`node ${b.id} unregistered`);
  });
  after.forEachTopic((t) => {
    const old = before?.topicById(t.id);
    if (old === undefined) {
      const rf = t.partitions[0]?.replicas.length ?? 0;
      lines.push(`topic ${t.name} created: ${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'}, replication factor ${rf}`);
      return;
    }
    if (old === t) return;
    if (t.partitions.length > old.partitions.length) lines.push(`topic ${t.name}: partitions ${old.partitions.length} -> ${t.partitions.length}`);
    const moved: string[] = [];
    t.partitions.forEach((p, i) => {
      const o = old.partitions[i];
      if (o !== undefined && o.leader !== p.leader) moved.push(`${t.name}-${i} ${o.leader < 0 ? 'none' : o.leader} -> ${p.leader < 0 ? 'none' : p.leader}`);
    });
    if (moved.length > 0 && moved.length <= 10) lines.push(`leader moved: ${moved.join(', ')}`);
    else if (moved.length > 10) lines.push(`leader moved for ${moved.length} partitions of ${t.name} (${moved.slice(0, 5).join(', ')}, ...)`);
  });
  before?.forEachTopic((t) => {
    if (after.topicById(t.id) === undefined) lines.push(`topic ${t.name} deleted`);
  });
  return lines;
}
