#!/usr/bin/env python3
"""Checks that two WorkflowService servers behave the same for the TEST template.

Usage: .venv/bin/python Benchmarks/compare_reference.py TARGET_A TARGET_B   (host:port each)

Runs the same scenarios on both servers (successful, failing, empty and delayed workflows,
refused requests, WatchLogs filters, request_id retries) and compares the WatchLogs streams,
GetWorkflow trees and error statuses after normalizing what legitimately differs: workflow ids,
timestamps, durations, absolute sequence numbers (kept relative to the workflow's first event)
and the list of known workflow types. Prints each difference and exits 1 if there is any.

Meant for workflowd (`--store memory --port 0`) against Benchmarks/Reference/reference_server;
needs grpcio and the Python stubs, generated here into Tests/Interop/generated when missing.
"""

import difflib
import json
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATED = os.path.join(ROOT, 'Tests', 'Interop', 'generated')


def load_stubs():
    """Imports the workflow.v1 stubs, generating them first if needed."""
    if not os.path.exists(os.path.join(GENERATED, 'workflow', 'v1', 'workflow_pb2_grpc.py')):
        os.makedirs(GENERATED, exist_ok=True)
        subprocess.run([sys.executable, '-m', 'grpc_tools.protoc', '-I', os.path.join(ROOT, 'Protos'),
                        f'--python_out={GENERATED}', f'--grpc_python_out={GENERATED}',
                        os.path.join(ROOT, 'Protos', 'workflow', 'v1', 'workflow.proto')], check=True)
    sys.path.insert(0, GENERATED)
    import grpc  # noqa: E402
    from google.protobuf import json_format  # noqa: E402
    from workflow.v1 import workflow_pb2, workflow_pb2_grpc  # noqa: E402
    return grpc, json_format, workflow_pb2, workflow_pb2_grpc


grpc, json_format, pb, pb_grpc = load_stubs()
TIMEOUT = 30

TIME_FIELDS = {'timestamp_ms', 'created_at_ms', 'started_at_ms', 'finished_at_ms'}
SEQUENCE_FIELDS = {'sequence', 'gap_from_sequence', 'gap_to_sequence'}


class Server:
    """One target and what was learned about it during the run."""

    def __init__(self, target):
        self.target = target
        self.channel = grpc.insecure_channel(target)
        grpc.channel_ready_future(self.channel).result(timeout=TIMEOUT)
        self.stub = pb_grpc.WorkflowServiceStub(self.channel)

    def start(self, params, **fields):
        request = pb.StartWorkflowRequest(type=fields.pop('type', 'TEST'), params=params, **fields)
        return self.stub.StartWorkflow(request, timeout=TIMEOUT)

    def watch(self, **fields):
        """The events of one WatchLogs call and how it ended: (events, (code, details))."""
        events = []
        try:
            for event in self.stub.WatchLogs(pb.WatchLogsRequest(**fields), timeout=TIMEOUT):
                events.append(event)
            return events, ('OK', '')
        except grpc.RpcError as error:
            return events, (error.code().name, error.details())

    def get(self, workflow_id):
        return self.stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=TIMEOUT)


def to_plain(message):
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def normalize(value, ids, base):
    """Replaces run-specific values: ids by <WF1>.., times by <T>, durations by <D>, sequences
    by their offset from `base` (the workflow's first sequence)."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if key in TIME_FIELDS:
                result[key] = '<T>'
            elif key == 'duration_ms':
                continue  # set below for every Stats (a 0 ms duration is absent on the wire)
            elif key == 'stats':
                result[key] = dict(normalize(item, ids, base), duration_ms='<D>')
            elif key in SEQUENCE_FIELDS and base is not None:
                result[key] = int(item) - base
            else:
                result[key] = normalize(item, ids, base)
        return result
    if isinstance(value, list):
        return [normalize(item, ids, base) for item in value]
    if isinstance(value, str):
        for workflow_id, name in ids.items():
            value = value.replace(workflow_id, name)
        value = re.sub(r'in \d+ ms', 'in <N> ms', value)
        return value
    return value


def normalize_status(status, ids):
    code, details = status
    details = normalize(details, ids, None)
    details = re.sub(r'known types: .*', 'known types: <LIST>', details)
    if code == 'OUT_OF_RANGE':
        details = re.sub(r'\d+', '<N>', details)  # sequences depend on what ran before
    return [code, details]


def call_status(function):
    try:
        function()
        return ('OK', '')
    except grpc.RpcError as error:
        return (error.code().name, error.details())


class Comparison:
    def __init__(self, a, b):
        self.servers = (Server(a), Server(b))
        self.differences = 0
        self.checks = 0

    def same(self, name, results):
        """Compares the two normalized results of scenario `name`."""
        self.checks += 1
        left, right = (json.dumps(result, indent=1, sort_keys=True).splitlines() for result in results)
        if left == right:
            print(f'same: {name}')
            return
        self.differences += 1
        print(f'DIFFERENT: {name}')
        for line in difflib.unified_diff(left, right, self.servers[0].target, self.servers[1].target, lineterm='', n=2):
            print('   ', line)

    def both(self, function):
        return [function(server) for server in self.servers]

    # Scenarios

    def workflow(self, name, params, watch_fields=None, **start_fields):
        """Starts a workflow on both, watches it from the start, and compares events and tree."""
        def run(server):
            started = server.start(params, **start_fields)
            events, ending = server.watch(workflow_id=started.workflow_id)
            ids = {started.workflow_id: '<WF>'}
            base = events[0].sequence if events else None
            result = {
                'start': normalize(to_plain(started), ids, base),
                'events': [normalize(to_plain(event), ids, base) for event in events],
                'watch_status': normalize_status(ending, ids),
                'workflow': normalize(to_plain(server.get(started.workflow_id)), ids, base),
            }
            for label, fields in (watch_fields or {}).items():
                fields = dict(fields)
                if fields.get('after_sequence') == 'FIRST+3':
                    fields['after_sequence'] = base + 3
                if fields.get('job_id') == '<JOB2>':
                    fields['job_id'] = started.workflow_id + '-j2'
                filtered, ending = server.watch(workflow_id=started.workflow_id, **fields)
                result[label] = {'events': [normalize(to_plain(e), ids, base) for e in filtered],
                                 'status': normalize_status(ending, ids)}
            return result
        self.same(name, self.both(run))

    def running_tree(self):
        """GetWorkflow of a workflow caught between steps: one job running, the other pending."""
        def run(server):
            started = server.start({'jobs': '2', 'steps': '2', 'step_delay_ms': '1500'}, user_id='tree')
            time.sleep(0.4)
            tree = server.get(started.workflow_id)
            events, ending = server.watch(workflow_id=started.workflow_id)
            ids = {started.workflow_id: '<WF>'}
            base = events[0].sequence if events else None
            return {'running': normalize(to_plain(tree), ids, base),
                    'events': [normalize(to_plain(e), ids, base) for e in events],
                    'watch_status': normalize_status(ending, ids)}
        self.same('TEST jobs=2 steps=2 step_delay_ms=1500: tree while running, then events', self.both(run))

    def live_watch(self):
        """A live watch of every workflow (user filter) sees a new workflow's events, then is cancelled."""
        def run(server):
            calls = server.stub.WatchLogs(pb.WatchLogsRequest(live_only=True, user_id='live'), timeout=TIMEOUT)
            events = []

            def read():
                try:
                    for event in calls:
                        events.append(event)
                        if event.kind == pb.LOG_EVENT_KIND_WORKFLOW_COMPLETED:
                            return
                except grpc.RpcError:
                    pass
            reader = threading.Thread(target=read)
            reader.start()
            time.sleep(0.5)
            # Another user's workflow first, run to its end so the two do not interleave.
            other = server.start({'jobs': '1', 'steps': '1', 'step_delay_ms': '0'}, user_id='other')
            server.watch(workflow_id=other.workflow_id, min_level=pb.LOG_LEVEL_ERROR)
            started = server.start({'jobs': '1', 'steps': '2', 'step_delay_ms': '0'}, user_id='live')
            reader.join(TIMEOUT)
            calls.cancel()
            ids = {started.workflow_id: '<WF>'}
            base = events[0].sequence if events else None
            return [normalize(to_plain(e), ids, base) for e in events]
        self.same('live watch of all workflows, user_id=live', self.both(run))

    def refusals(self):
        bad_params = [{'jobs': '0'}, {'jobs': '101'}, {'jobs': 'x'}, {'jobs': ' 3'}, {'jobs': '3.0'},
                      {'steps': '-1'}, {'steps': '100001'}, {'step_delay_ms': '60001'},
                      {'fail_job': '0'}, {'jobs': '2', 'fail_job': '3'}, {'jobs': '99999999999999999999'}]
        for params in bad_params:
            self.same(f'StartWorkflow TEST {params}',
                      self.both(lambda s: normalize_status(call_status(lambda: s.start(params)), {})))
        accepted = [{'jobs': '+2', 'steps': '01', 'step_delay_ms': '-0'}]
        for params in accepted:
            self.workflow(f'TEST {params} (Swift Int parsing)', params)
        self.same('StartWorkflow of an unknown type',
                  self.both(lambda s: normalize_status(call_status(lambda: s.start({}, type='NOPE')), {})))
        self.same('StartWorkflow with no type',
                  self.both(lambda s: normalize_status(call_status(lambda: s.start({}, type='')), {})))
        self.same('StartWorkflow with an empty params key',
                  self.both(lambda s: normalize_status(call_status(lambda: s.start({'': 'x'})), {})))
        self.same('StartWorkflow with a 300-byte user_id',
                  self.both(lambda s: normalize_status(call_status(lambda: s.start({}, user_id='u' * 300)), {})))
        self.same('GetWorkflow of an unknown id',
                  self.both(lambda s: normalize_status(call_status(lambda: s.get('wf-0000000000NO')), {})))
        self.same('GetWorkflow with no id',
                  self.both(lambda s: normalize_status(call_status(lambda: s.get('')), {})))
        for label, fields in [('an unknown id', {'workflow_id': 'wf-0000000000NO'}),
                              ('after_sequence ahead of the log', {'after_sequence': 10 ** 12}),
                              ('an unknown min_level', {'min_level': 9}),
                              ('a 300-byte job_id', {'job_id': 'j' * 300})]:
            self.same(f'WatchLogs with {label}',
                      self.both(lambda s: [len(s.watch(**fields)[0]), normalize_status(s.watch(**fields)[1], {})]))

    def request_ids(self):
        def run(server):
            token = f'compare-{time.time_ns()}'
            params = {'jobs': '1', 'steps': '1', 'step_delay_ms': '0'}
            first = server.start(params, request_id=token)
            server.watch(workflow_id=first.workflow_id, min_level=pb.LOG_LEVEL_ERROR)
            again = server.start(params, request_id=token)
            other = call_status(lambda: server.start({'jobs': '2'}, request_id=token))
            ids = {first.workflow_id: '<WF>', token: '<TOKEN>'}
            return {'same_id': again.workflow_id == first.workflow_id,
                    'again': normalize(to_plain(again), ids, None),
                    'different_request': normalize_status(other, ids)}
        self.same('request_id: a repeat answers with the workflow, a different request is refused', self.both(run))

    def run(self):
        error_only = {'errors': {'min_level': pb.LOG_LEVEL_ERROR}}
        self.workflow('TEST jobs=2 steps=3 step_delay_ms=0', {'jobs': '2', 'steps': '3', 'step_delay_ms': '0'},
                      watch_fields={
                          'job 2 only': {'job_id': '<JOB2>'},
                          'entity ITEM-1-2': {'entity_tag': 'ITEM-1-2'},
                          'after first+3': {'after_sequence': 'FIRST+3'},
                          'live only (ended)': {'live_only': True},
                          'other type': {'workflow_type': 'OTHER'},
                          'warn and up': {'min_level': pb.LOG_LEVEL_WARN},
                      },
                      user_id='alice', user_name='Alice', summary='compare')
        self.workflow('TEST jobs=3 steps=3 fail_job=2', {'jobs': '3', 'steps': '3', 'step_delay_ms': '0', 'fail_job': '2'},
                      watch_fields=error_only)
        self.workflow('TEST jobs=1 steps=5 fail_job=1 fail_message=Boom',
                      {'jobs': '1', 'steps': '5', 'step_delay_ms': '0', 'fail_job': '1', 'fail_message': 'Boom'})
        self.workflow('TEST jobs=2 steps=0', {'jobs': '2', 'steps': '0', 'step_delay_ms': '0'})
        self.workflow('TEST jobs=2 steps=0 fail_job=1', {'jobs': '2', 'steps': '0', 'step_delay_ms': '0', 'fail_job': '1'})
        self.workflow('TEST jobs=6 steps=1 step_delay_ms=0 (job names past Save)',
                      {'jobs': '6', 'steps': '1', 'step_delay_ms': '0'})
        self.workflow('TEST defaults (3 jobs x 3 steps, 10 ms apart)', {})
        self.running_tree()
        self.live_watch()
        self.refusals()
        self.request_ids()
        print(f'checks={self.checks} differences={self.differences}')
        return 1 if self.differences else 0


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 64
    comparison = Comparison(sys.argv[1], sys.argv[2])
    return comparison.run()


if __name__ == '__main__':
    sys.exit(main())
