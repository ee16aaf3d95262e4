"""librdkafka's own Admin API, called through ctypes.

confluent-kafka-python 1.7.0 (Debian) predates the group and records admin calls, but the
librdkafka 2.0.2 it runs on has them: DeleteConsumerGroupOffsets (OffsetDelete),
DeleteRecords, DeleteGroups, ListConsumerGroups, DescribeConsumerGroups,
ListConsumerGroupOffsets and AlterConsumerGroupOffsets. This script calls them in the
real client library, as a program in C would (rdkafka.h), so the broker is tested against
the requests librdkafka builds and the way it reads the answers.

Usage: rdkafka_admin.py BOOTSTRAP OPS_JSON, where OPS_JSON is a list of operations:
  {"op": "delete_offsets", "group": G, "partitions": [[topic, partition], ...]}
  {"op": "delete_records", "partitions": [[topic, partition, before_offset], ...]}
  {"op": "delete_groups", "groups": [G, ...]}
  {"op": "list_groups"}
  {"op": "describe_groups", "groups": [G, ...]}
  {"op": "list_offsets", "group": G, "partitions": null | [[topic, partition], ...]}
  {"op": "alter_offsets", "group": G, "partitions": [[topic, partition, offset], ...]}
  {"op": "describe_acls", "acl": ACL}   (ACL: [restype, name, pattern, principal, host, operation, permission],
  {"op": "create_acls", "acls": [ACL, ...]}      Kafka's numbers; null strings match any in a filter)
  {"op": "delete_acls", "filters": [ACL, ...]}
It prints one JSON line: a list with one result per operation, each with "error" (the
request-level error name, or null) and what the operation returns.
"""
import ctypes as C
import json
import sys
import time

lib = C.CDLL('librdkafka.so.1')


class TopicPartition(C.Structure):
    _fields_ = [('topic', C.c_char_p), ('partition', C.c_int32), ('offset', C.c_int64),
                ('metadata', C.c_void_p), ('metadata_size', C.c_size_t), ('opaque', C.c_void_p),
                ('err', C.c_int), ('_private', C.c_void_p)]


class TopicPartitionList(C.Structure):
    _fields_ = [('cnt', C.c_int), ('size', C.c_int), ('elems', C.POINTER(TopicPartition))]


P = C.c_void_p
SIZE_P = C.POINTER(C.c_size_t)


def fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


conf_new = fn('rd_kafka_conf_new', P)
conf_set = fn('rd_kafka_conf_set', C.c_int, P, C.c_char_p, C.c_char_p, C.c_char_p, C.c_size_t)
kafka_new = fn('rd_kafka_new', P, C.c_int, P, C.c_char_p, C.c_size_t)
kafka_destroy = fn('rd_kafka_destroy', None, P)
queue_new = fn('rd_kafka_queue_new', P, P)
queue_destroy = fn('rd_kafka_queue_destroy', None, P)
queue_poll = fn('rd_kafka_queue_poll', P, P, C.c_int)
event_error = fn('rd_kafka_event_error', C.c_int, P)
event_error_string = fn('rd_kafka_event_error_string', C.c_char_p, P)
event_destroy = fn('rd_kafka_event_destroy', None, P)
err2name = fn('rd_kafka_err2name', C.c_char_p, C.c_int)
error_code = fn('rd_kafka_error_code', C.c_int, P)
error_string = fn('rd_kafka_error_string', C.c_char_p, P)
tpl_new = fn('rd_kafka_topic_partition_list_new', C.POINTER(TopicPartitionList), C.c_int)
tpl_add = fn('rd_kafka_topic_partition_list_add', C.POINTER(TopicPartition), C.POINTER(TopicPartitionList), C.c_char_p, C.c_int32)
group_result_error = fn('rd_kafka_group_result_error', P, P)
group_result_name = fn('rd_kafka_group_result_name', C.c_char_p, P)
group_result_partitions = fn('rd_kafka_group_result_partitions', C.POINTER(TopicPartitionList), P)


def name_of(err):
    return err2name(err).decode() if err else None


def error_name(error):
    return name_of(error_code(error)) if error else None


def partition_list(items):
    """A rd_kafka_topic_partition_list_t from [[topic, partition(, offset)], ...]."""
    tpl = tpl_new(max(1, len(items)))
    for item in items:
        tp = tpl_add(tpl, item[0].encode(), item[1])
        if len(item) > 2:
            tp.contents.offset = item[2]
    return tpl


def partitions_of(tpl):
    if not tpl:
        return None
    out = []
    for i in range(tpl.contents.cnt):
        e = tpl.contents.elems[i]
        out.append([e.topic.decode(), e.partition, e.offset, name_of(e.err)])
    return sorted(out)


def await_result(q, timeout_s=90):
    """The next event on the queue: the admin result (or an error event)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        ev = queue_poll(q, 1000)
        if ev:
            return ev
    raise RuntimeError('no admin result within %ss' % timeout_s)


def group_results(get_result, get_groups, ev):
    res = fn(get_result, P, P)(ev)
    cnt = C.c_size_t(0)
    groups = fn(get_groups, C.POINTER(P), P, SIZE_P)(res, C.byref(cnt))
    out = []
    for i in range(cnt.value):
        g = groups[i]
        err = group_result_error(g)
        out.append({'group': group_result_name(g).decode(), 'error': error_name(err),
                    'message': error_string(err).decode() if err else None,
                    'partitions': partitions_of(group_result_partitions(g))})
    return out


def run(rk, op):
    q = queue_new(rk)
    kind = op['op']
    try:
        if kind == 'delete_offsets':
            d = fn('rd_kafka_DeleteConsumerGroupOffsets_new', P, C.c_char_p, P)(op['group'].encode(), partition_list(op['partitions']))
            fn('rd_kafka_DeleteConsumerGroupOffsets', None, P, C.POINTER(P), C.c_size_t, P, P)(rk, (P * 1)(d), 1, None, q)
            ev = await_result(q)
            out = {'groups': group_results('rd_kafka_event_DeleteConsumerGroupOffsets_result', 'rd_kafka_DeleteConsumerGroupOffsets_result_groups', ev) if not event_error(ev) else None}
        elif kind == 'alter_offsets':
            d = fn('rd_kafka_AlterConsumerGroupOffsets_new', P, C.c_char_p, P)(op['group'].encode(), partition_list(op['partitions']))
            fn('rd_kafka_AlterConsumerGroupOffsets', None, P, C.POINTER(P), C.c_size_t, P, P)(rk, (P * 1)(d), 1, None, q)
            ev = await_result(q)
            out = {'groups': group_results('rd_kafka_event_AlterConsumerGroupOffsets_result', 'rd_kafka_AlterConsumerGroupOffsets_result_groups', ev) if not event_error(ev) else None}
        elif kind == 'list_offsets':
            parts = partition_list(op['partitions']) if op.get('partitions') is not None else None
            d = fn('rd_kafka_ListConsumerGroupOffsets_new', P, C.c_char_p, P)(op['group'].encode(), parts)
            fn('rd_kafka_ListConsumerGroupOffsets', None, P, C.POINTER(P), C.c_size_t, P, P)(rk, (P * 1)(d), 1, None, q)
            ev = await_result(q)
            out = {'groups': group_results('rd_kafka_event_ListConsumerGroupOffsets_result', 'rd_kafka_ListConsumerGroupOffsets_result_groups', ev) if not event_error(ev) else None}
        elif kind == 'delete_groups':
            new = fn('rd_kafka_DeleteGroup_new', P, C.c_char_p)
            arr = (P * len(op['groups']))(*[new(g.encode()) for g in op['groups']])
            fn('rd_kafka_DeleteGroups', None, P, C.POINTER(P), C.c_size_t, P, P)(rk, arr, len(op['groups']), None, q)
            ev = await_result(q)
            out = {'groups': group_results('rd_kafka_event_DeleteGroups_result', 'rd_kafka_DeleteGroups_result_groups', ev) if not event_error(ev) else None}
        elif kind == 'delete_records':
            d = fn('rd_kafka_DeleteRecords_new', P, P)(partition_list(op['partitions']))
            fn('rd_kafka_DeleteRecords', None, P, C.POINTER(P), C.c_size_t, P, P)(rk, (P * 1)(d), 1, None, q)
            ev = await_result(q)
            out = {'offsets': None}
            if not event_error(ev):
                res = fn('rd_kafka_event_DeleteRecords_result', P, P)(ev)
                out['offsets'] = partitions_of(fn('rd_kafka_DeleteRecords_result_offsets', C.POINTER(TopicPartitionList), P)(res))
        elif kind == 'list_groups':
            fn('rd_kafka_ListConsumerGroups', None, P, P, P)(rk, None, q)
            ev = await_result(q)
            out = {'groups': None, 'errors': None}
            if not event_error(ev):
                res = fn('rd_kafka_event_ListConsumerGroups_result', P, P)(ev)
                cnt = C.c_size_t(0)
                valid = fn('rd_kafka_ListConsumerGroups_result_valid', C.POINTER(P), P, SIZE_P)(res, C.byref(cnt))
                state_name = fn('rd_kafka_consumer_group_state_name', C.c_char_p, C.c_int)
                out['groups'] = sorted([[fn('rd_kafka_ConsumerGroupListing_group_id', C.c_char_p, P)(valid[i]).decode(),
                                         state_name(fn('rd_kafka_ConsumerGroupListing_state', C.c_int, P)(valid[i])).decode(),
                                         bool(fn('rd_kafka_ConsumerGroupListing_is_simple_consumer_group', C.c_int, P)(valid[i]))]
                                        for i in range(cnt.value)])
                ecnt = C.c_size_t(0)
                errs = fn('rd_kafka_ListConsumerGroups_result_errors', C.POINTER(P), P, SIZE_P)(res, C.byref(ecnt))
                out['errors'] = [error_string(errs[i]).decode() for i in range(ecnt.value)]
        elif kind == 'describe_groups':
            groups = (C.c_char_p * len(op['groups']))(*[g.encode() for g in op['groups']])
            fn('rd_kafka_DescribeConsumerGroups', None, P, C.POINTER(C.c_char_p), C.c_size_t, P, P)(rk, groups, len(op['groups']), None, q)
            ev = await_result(q)
            out = {'groups': None}
            if not event_error(ev):
                res = fn('rd_kafka_event_DescribeConsumerGroups_result', P, P)(ev)
                cnt = C.c_size_t(0)
                descs = fn('rd_kafka_DescribeConsumerGroups_result_groups', C.POINTER(P), P, SIZE_P)(res, C.byref(cnt))
                state_name = fn('rd_kafka_consumer_group_state_name', C.c_char_p, C.c_int)
                member = fn('rd_kafka_ConsumerGroupDescription_member', P, P, C.c_size_t)
                assignment_partitions = fn('rd_kafka_MemberAssignment_partitions', C.POINTER(TopicPartitionList), P)
                member_assignment = fn('rd_kafka_MemberDescription_assignment', P, P)
                member_client_id = fn('rd_kafka_MemberDescription_client_id', C.c_char_p, P)
                out['groups'] = []
                for i in range(cnt.value):
                    d = descs[i]
                    err = fn('rd_kafka_ConsumerGroupDescription_error', P, P)(d)
                    n = fn('rd_kafka_ConsumerGroupDescription_member_count', C.c_size_t, P)(d)
                    coordinator = fn('rd_kafka_ConsumerGroupDescription_coordinator', P, P)(d)
                    assignor = fn('rd_kafka_ConsumerGroupDescription_partition_assignor', C.c_char_p, P)(d)
                    out['groups'].append({
                        'group': fn('rd_kafka_ConsumerGroupDescription_group_id', C.c_char_p, P)(d).decode(),
                        'error': error_name(err),
                        'state': state_name(fn('rd_kafka_ConsumerGroupDescription_state', C.c_int, P)(d)).decode(),
                        'assignor': assignor.decode() if assignor else None,
                        'coordinator': fn('rd_kafka_Node_id', C.c_int, P)(coordinator) if coordinator else None,
                        'members': [{'client_id': member_client_id(member(d, j)).decode(),
                                     'assignment': partitions_of(assignment_partitions(member_assignment(member(d, j))))} for j in range(n)],
                    })
        elif kind in ('describe_acls', 'create_acls', 'delete_acls'):
            # DescribeAcls (29), CreateAcls (30), DeleteAcls (31): the request-level error,
            # and for the last two each binding's or filter's own error name and message.
            errstr = C.create_string_buffer(512)
            def binding(ctor, a):
                b = fn(ctor, P, C.c_int, C.c_char_p, C.c_int, C.c_char_p, C.c_char_p, C.c_int, C.c_int, C.c_char_p, C.c_size_t)(
                    a[0], a[1].encode() if a[1] is not None else None, a[2], a[3].encode() if a[3] is not None else None,
                    a[4].encode() if a[4] is not None else None, a[5], a[6], errstr, 512)
                if not b:
                    raise RuntimeError(errstr.value.decode())
                return b
            items = []
            if kind == 'describe_acls':
                fn('rd_kafka_DescribeAcls', None, P, P, P, P)(rk, binding('rd_kafka_AclBindingFilter_new', op['acl']), None, q)
            else:
                acls = op['acls'] if kind == 'create_acls' else op['filters']
                ctor = 'rd_kafka_AclBinding_new' if kind == 'create_acls' else 'rd_kafka_AclBindingFilter_new'
                arr = (P * len(acls))(*[binding(ctor, a) for a in acls])
                name = 'CreateAcls' if kind == 'create_acls' else 'DeleteAcls'
                fn('rd_kafka_' + name, None, P, C.POINTER(P), C.c_size_t, P, P)(rk, arr, len(acls), None, q)
            ev = await_result(q)
            if not event_error(ev) and kind != 'describe_acls':
                res = fn('rd_kafka_event_%s_result' % name, P, P)(ev)
                cnt = C.c_size_t(0)
                if kind == 'create_acls':
                    results = fn('rd_kafka_CreateAcls_result_acls', C.POINTER(P), P, SIZE_P)(res, C.byref(cnt))
                    get_error = fn('rd_kafka_acl_result_error', P, P)
                else:
                    results = fn('rd_kafka_DeleteAcls_result_responses', C.POINTER(P), P, SIZE_P)(res, C.byref(cnt))
                    get_error = fn('rd_kafka_DeleteAcls_result_response_error', P, P)
                for i in range(cnt.value):
                    err = get_error(results[i])
                    items.append([error_name(err), error_string(err).decode() if err else None])
            out = {'items': items}
        else:
            raise ValueError('unknown op ' + kind)
        out['error'] = name_of(event_error(ev))
        if out['error']:
            out['message'] = event_error_string(ev).decode()
        event_destroy(ev)
        return out
    finally:
        queue_destroy(q)


def main():
    bootstrap, ops = sys.argv[1], json.loads(sys.argv[2])
    errstr = C.create_string_buffer(512)
    conf = conf_new()
    for k, v in (('bootstrap.servers', bootstrap), ('socket.timeout.ms', '60000'), ('log_level', '3')):
        if conf_set(conf, k.encode(), v.encode(), errstr, 512) != 0:
            raise RuntimeError(errstr.value.decode())
    rk = kafka_new(0, conf, errstr, 512)  # RD_KAFKA_PRODUCER: an admin handle
    if not rk:
        raise RuntimeError(errstr.value.decode())
    try:
        results = [run(rk, op) for op in ops]
    finally:
        kafka_destroy(rk)
    sys.stdout.write(json.dumps(results) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
