/**
 * Which topics the metadata deleted between two images a broker looked at, by name: a
 * name gone, or now naming another topic id (deleted and created again in between). The
 * group shell tombstones the committed offsets of such topics, as Kafka's
 * `BrokerMetadataPublisher` tells its group coordinator (`onPartitionsDeleted`).
 *
 * Cheap when nothing changed: the images share the name index's root until a topic is
 * created or deleted, so only those images are walked.
 */
import type { MetadataImage } from '../metadata/image.js';
import type { Uuid } from '../util/uuid.js';

export class DeletedTopics {
  /** Topic name -> id as of the last image walked; undefined before the first. */
  private ids: Map<string, Uuid> | undefined;
  private root: unknown = {};

  /** The topics of the last image that `image` no longer has (empty for the first image seen). */
  since(image: MetadataImage): ReadonlySet<string> {
    // (A test's stand-in for an image may have no name index, and so no topics to lose.)
    const index = (image as Partial<MetadataImage>).topicIdsByName;
    if (index === undefined || index.root === this.root) return none;
    this.root = index.root;
    const ids = new Map<string, Uuid>();
    index.forEach((id, name) => ids.set(name, id));
    const deleted = new Set<string>();
    if (this.ids !== undefined) for (const [name, id] of this.ids) if (ids.get(name) !== id) deleted.add(name);
    this.ids = ids;
    return deleted;
  }
}

const none: ReadonlySet<string> = new Set();
