/**
 * Kafka's internal topics: names the cluster itself owns. A client may read them (the
 * Metadata answer marks them `isInternal`), but may not create, delete or write into them:
 * `__cluster_metadata` would share its folder with the Raft log, and a record a client
 * wrote into `__consumer_offsets` would be replayed as group state. The broker's own
 * shells (the group coordinator) reach the controller and the replicas directly, not
 * through these client requests, so the checks sit where client requests enter.
 *
 * Kafka's answers: creating `__cluster_metadata` is INVALID_REQUEST ("Creation of internal
 * topic __cluster_metadata is prohibited", ControllerApis); producing to an internal topic
 * is INVALID_TOPIC_EXCEPTION ("Cannot append to internal topic", ReplicaManager). Kafka
 * lets an authorized client create or delete `__consumer_offsets`; Tributary, which has
 * no ACLs, refuses both with INVALID_REQUEST, as Kafka's topic tool refuses the delete.
 */
import type { MetadataImage } from '../metadata/image.js';
import type { CreateTopicsRequest, CreateTopicsResponse, CreatableTopicResult, DeleteTopicsRequest, DeleteTopicsResponse, DeletableTopicResult } from '../metadata/requests.js';
import { zeroUuid } from '../metadata/uuid.js';
import { internalTopicNames, isInternalTopic } from '../util/topic-name.js';

// The reserved names live in util/ beside Kafka's other topic-name rules, so that the
// controller refuses a new partition count for them too (replication-control.ts).
export { internalTopicNames, isInternalTopic };

/** The message of a produce refused because its topic is internal. */
export function internalProduceMessage(topic: string): string {
  return `Cannot append to internal topic ${topic}`;
}

/**
 * A client's CreateTopics: internal names are refused here, the rest go to the controller
 * (`submit`); the answer keeps the request's order.
 */
export async function createTopicsFromClient(
  req: Omit<CreateTopicsRequest, 'type'>,
  submit: (req: CreateTopicsRequest) => Promise<CreateTopicsResponse>,
): Promise<readonly CreatableTopicResult[]> {
  const allowed = req.topics.filter((t) => !isInternalTopic(t.name));
  const results = allowed.length === 0 ? [] : [...(await submit({ type: 'CreateTopics', topics: allowed, validateOnly: req.validateOnly ?? false })).topics];
  return req.topics.map((t) =>
    isInternalTopic(t.name)
      ? { name: t.name, topicId: zeroUuid, errorCode: 'INVALID_REQUEST', errorMessage: `Creation of internal topic ${t.name} is prohibited.`, numPartitions: -1, replicationFactor: -1 }
      : results.shift()!,
  );
}

/** A client's DeleteTopics: internal topics (by name or by id) are refused, the rest go to the controller. */
export async function deleteTopicsFromClient(
  req: Omit<DeleteTopicsRequest, 'type'>,
  image: MetadataImage | undefined,
  submit: (req: DeleteTopicsRequest) => Promise<DeleteTopicsResponse>,
): Promise<readonly DeletableTopicResult[]> {
  const nameOf = (t: DeleteTopicsRequest['topics'][number]): string | undefined => t.name ?? (t.topicId !== undefined ? image?.topicById(t.topicId)?.name : undefined);
  const allowed = req.topics.filter((t) => !isInternalTopic(nameOf(t)));
  const results = allowed.length === 0 ? [] : [...(await submit({ type: 'DeleteTopics', topics: allowed })).responses];
  return req.topics.map((t) => {
    const name = nameOf(t);
    if (!isInternalTopic(name)) return results.shift()!;
    return { name: name!, topicId: t.topicId ?? image?.topicIdOf(name!) ?? zeroUuid, errorCode: 'INVALID_REQUEST', errorMessage: `Deletion of internal topic ${name} is prohibited.` };
  });
}
