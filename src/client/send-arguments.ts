/**
 * The first check of `Producer.send`'s arguments: the topic name, and the shapes other
 * clients use, answered with the Tributary form. KafkaJS sends
 * `producer.send({ topic, messages })`; here that object arrives as the topic name and
 * would be refused as an invalid name, which says nothing of the fix.
 * @internal
 */
import { TributaryError } from '../util/errors.js';
import { validateTopicName } from '../util/topic-name.js';

/** Throws `INVALID_ARGUMENT` for KafkaJS's call shape, `INVALID_TOPIC_EXCEPTION` for a bad name. */
export function checkSendArguments(topic: unknown, input: unknown, method: 'send' | 'sendBatch' = 'send'): asserts topic is string {
  if (method === 'sendBatch' && typeof topic === 'object' && topic !== null && 'topicMessages' in topic) {
    throw new TributaryError('INVALID_ARGUMENT', "sendBatch takes one topic and its records: producer.sendBatch('orders', [{ key, value }]), not KafkaJS's sendBatch({ topicMessages }) (call it once a topic)", { option: 'topic' });
  }
  if (typeof topic === 'object' && topic !== null && ('messages' in topic || 'topic' in topic)) {
    const t = (topic as { topic?: unknown }).topic;
    const name = typeof t === 'string' ? JSON.stringify(t) : "'orders'";
    throw new TributaryError(
      'INVALID_ARGUMENT',
      `send takes the topic and the records as two arguments: producer.send(${name}, [{ key, value }]) (or one record: producer.send(${name}, { key, value })), not KafkaJS's send({ topic, messages })`,
      { option: 'topic', ...(typeof t === 'string' ? { topic: t } : {}) },
    );
  }
  validateTopicName(topic);
  if (input === undefined) throw new TributaryError('INVALID_RECORD', `${method} needs records: producer.${method}(${JSON.stringify(topic)}, [{ key, value }])`, { topic, option: 'records' });
}
