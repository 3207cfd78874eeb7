"""/metrics, /healthz and /readyz on the HTTP side port of a real workflowd: the metrics text is
read by the Prometheus client library's own parser, and its values move as workflows run."""
import http.client
import json
import socket
import time

import grpc
from prometheus_client.parser import text_string_to_metric_families

from conftest import Server
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc as pb_grpc


def get(server: Server, path: str):
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        connection.close()


def scrape(server: Server) -> dict:
    """Every sample as {(name, sorted labels): value}, and the families' types under ("TYPE", name)."""
    status, content_type, text = get(server, "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), (status, content_type)
    samples = {}
    for family in text_string_to_metric_families(text):
        samples[("TYPE", family.name)] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_until(predicate, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_metrics_parse_and_move_as_workflows_run():
    server = Server()
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.WorkflowServiceStub(channel)
            before = scrape(server)

            def run(params: dict, status: int) -> pb.Workflow:
                started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params=params))
                for _ in stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id)):
                    pass
                workflow = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id))
                assert workflow.status == status, workflow
                return workflow

            run({"jobs": "2", "steps": "3", "step_delay_ms": "0"}, pb.WORKFLOW_STATUS_COMPLETED)
            run({"jobs": "1", "steps": "1", "step_delay_ms": "0", "fail_job": "1", "fail_attempts": "1",
                 "max_attempts": "2", "backoff_ms": "0"}, pb.WORKFLOW_STATUS_COMPLETED)
            last = run({"jobs": "2", "steps": "1", "step_delay_ms": "0", "fail_job": "1"}, pb.WORKFLOW_STATUS_FAILED)
            # Cancelled while its first job runs: that attempt ends cancelled; the second job,
            # cancelled before it started, had no attempt.
            cancelled = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"jobs": "2", "steps": "1000", "step_delay_ms": "20"}))
            watch = stub.WatchLogs(pb.WatchLogsRequest(workflow_id=cancelled.workflow_id))
            kinds = []
            for event in watch:
                if event.kind == pb.LOG_EVENT_KIND_STEP_LOGGED and pb.LOG_EVENT_KIND_STEP_LOGGED not in kinds:
                    stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=cancelled.workflow_id, reason="metrics"))
                kinds.append(event.kind)
            assert kinds[-1] == pb.LOG_EVENT_KIND_WORKFLOW_CANCELLED, kinds[-5:]
            # A second status of a method already counted gets its own series; OK's goes on.
            for _ in range(2):
                try:
                    stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id="wf-no-such"))
                    raise AssertionError("a workflow that does not exist was found")
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.NOT_FOUND
            stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=last.id))
            with socket.create_connection(("127.0.0.1", server.http_port)) as stream:
                stream.sendall(b"GET /api/v1/events?live_only=true HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                wait_until(lambda: value(scrape(server), "workflow_http_event_streams") == 1, what="the event stream gauge")

            def moved():
                after = scrape(server)
                counted = (value(after, "workflow_workflows_finished_total", workflow_type="TEST", status="FAILED") == 1
                           and value(after, "workflow_workflows_finished_total", workflow_type="TEST", status="CANCELLED") == 1)
                return after if counted else None
            wait_until(moved, what="the engine metrics to count the failed and the cancelled workflow")
            after = moved()

        assert after[("TYPE", "workflow_workflows_started")] == "counter"
        assert after[("TYPE", "workflow_job_attempt_seconds")] == "histogram"
        assert after[("TYPE", "grpc_server_handling_seconds")] == "histogram"
        assert after[("TYPE", "workflow_event_log_last_sequence")] == "gauge"

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        assert delta("workflow_workflows_started_total", workflow_type="TEST") == 4
        assert delta("workflow_workflows_finished_total", workflow_type="TEST", status="COMPLETED") == 2
        assert delta("workflow_workflows_finished_total", workflow_type="TEST", status="CANCELLED") == 1
        assert delta("workflow_job_attempts_total", workflow_type="TEST", job="Fetch", outcome="completed") == 2
        assert delta("workflow_job_attempts_total", workflow_type="TEST", job="Fetch", outcome="retried") == 1
        assert delta("workflow_job_attempts_total", workflow_type="TEST", job="Fetch", outcome="failed") == 1
        assert delta("workflow_job_attempts_total", workflow_type="TEST", job="Fetch", outcome="cancelled") == 1
        assert delta("workflow_job_attempt_seconds_count", workflow_type="TEST", job="Fetch", outcome="cancelled") == 1
        never_started = (("job", "Process"), ("outcome", "cancelled"), ("workflow_type", "TEST"))
        assert ("workflow_job_attempts_total", never_started) not in after
        assert ("workflow_job_attempt_seconds_count", never_started) not in after
        assert delta("workflow_job_retries_total", workflow_type="TEST", job="Fetch") == 1
        assert delta("workflow_job_attempt_seconds_count", workflow_type="TEST", job="Fetch", outcome="completed") == 2
        assert delta("workflow_steps_logged_total", level="INFO") >= 3 + 3 + 1
        assert value(after, "workflow_event_log_last_sequence") >= last.jobs[0].steps[-1].sequence
        assert delta("workflow_events_appended_total") > 0
        assert delta("grpc_server_handled_total", grpc_service="workflow.v1.WorkflowService", grpc_method="StartWorkflow", grpc_code="OK") == 4
        assert delta("grpc_server_handled_total", grpc_service="workflow.v1.WorkflowService", grpc_method="GetWorkflow", grpc_code="OK") == 4
        assert delta("grpc_server_handled_total", grpc_service="workflow.v1.WorkflowService", grpc_method="GetWorkflow", grpc_code="NOT_FOUND") == 2
        # One duration histogram per method, whatever the status.
        assert delta("grpc_server_handling_seconds_count", grpc_service="workflow.v1.WorkflowService", grpc_method="GetWorkflow") == 6
        assert delta("grpc_server_handling_seconds_count", grpc_service="workflow.v1.WorkflowService", grpc_method="WatchLogs") == 4
        assert delta("workflow_store_commit_seconds_count") > 0
        assert delta("workflow_store_commit_events_sum") > 0
        assert after[("workflow_workers_connected", ())] == 0 and after[("workflow_worker_leases", ())] == 0
        # No sample is labelled with an id.
        assert not any("wf-" in str(key) for key in after)
    finally:
        server.stop()


def test_an_unknown_method_is_counted_without_its_name():
    server = Server()
    try:
        with grpc.insecure_channel(server.address) as channel:
            try:
                channel.unary_unary("/workflow.v1.WorkflowService/NoSuch" + "x" * 20)(b"")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNIMPLEMENTED
        samples = scrape(server)
        assert value(samples, "grpc_server_handled_total", grpc_service="unknown", grpc_method="unknown", grpc_code="UNIMPLEMENTED") == 1
        assert not any("NoSuch" in str(key) for key in samples)
    finally:
        server.stop()


def test_health_and_readiness_follow_the_grpc_health_state():
    server = Server()
    try:
        for path in ("/healthz", "/readyz"):
            status, content_type, body = get(server, path)
            assert status == 200 and content_type == "application/json" and json.loads(body) == {"status": "SERVING"}, (path, body)
    finally:
        server.stop()


def test_with_the_side_port_off_only_grpc_listens():
    server = Server("--http-port", "off")
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.WorkflowServiceStub(channel)
        started = stub.StartWorkflow(pb.StartWorkflowRequest(type="TEST", params={"steps": "0"}))
        assert started.status == pb.WORKFLOW_STATUS_RUNNING
    log = server.stop()
    assert "server.listening" in log and "server.http_listening" not in log
