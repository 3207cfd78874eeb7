import Foundation
import Testing

/// Runs Python's protobuf (the reference implementation) against our encodings.
///
/// The interpreter comes from `WORKFLOW_TEST_PYTHON`, else the package's `.venv` that
/// `Scripts/test.sh` creates. Stubs are generated at test time into a fresh temporary
/// directory, never into the source tree.
enum PythonInterop {
    static let missingPython = "run Scripts/test.sh first: it creates .venv with protobuf and grpcio-tools"

    /// The package root, three levels above this file.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The Python interpreter to use, or nil when none is installed.
    static func interpreter() -> URL? {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["WORKFLOW_TEST_PYTHON"], !path.isEmpty,
           fileManager.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        let venv = packageRoot.appendingPathComponent(".venv/bin/python")
        return fileManager.isExecutableFile(atPath: venv.path) ? venv : nil
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `python` with `arguments` in the package root; returns its exit status and
    /// combined stdout and stderr.
    static func run(_ python: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = python
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Creates a temporary directory holding the generated `workflow_pb2` stubs and
    /// `interop.py`, and returns it.
    static func prepare(python: URL) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("workflow-messages-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let generated = try run(python, [
            "-m", "grpc_tools.protoc", "-I", "Protos", "--python_out=\(directory.path)",
            "Protos/workflow/v1/workflow.proto",
        ])
        guard generated.status == 0 else {
            throw Failure(description:
                "grpc_tools.protoc failed (\(generated.status)): \(generated.output)\n\(missingPython)")
        }
        try script.write(to: directory.appendingPathComponent("interop.py"), atomically: true, encoding: .utf8)
        return directory
    }

    /// Builds the same fixtures as `Fixtures.swift`. `write DIR` stores `py_<Message>.bin`
    /// for each, `write-json DIR` `py_<Message>.json` (protobuf's `json_format`); `check DIR`
    /// parses every `swift_<Message>.bin` (`check-json DIR`: `.json`), compares it field by
    /// field with the fixture, prints `ok <Message>` or the differing field paths, and exits 1
    /// on any difference.
    static let script = #"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workflow.v1 import workflow_pb2 as pb

UNICODE = "Zoë ✓ — 日本語 🚀"
I64_MAX, I64_MIN, U64_MAX = 2**63 - 1, -2**63, 2**64 - 1
I32_MIN, I32_MAX = -2**31, 2**31 - 1

def stats():
    return pb.Stats(duration_ms=1234, counters={"itemsProcessed": 10, "itemsCreated": 7, "itemsFailed": -3,
                                                 "max": I64_MAX, "min": I64_MIN, "ünï": 0})

def worker_ref():
    return pb.WorkerRef(name="python-importer ✓", instance_id="host-1-4242")

def lease():
    return pb.LeaseToken(workflow_id="wf-1", job_id="job-f", attempt=I32_MAX, epoch=U64_MAX)

def progress_report():
    return pb.ProgressReport(progress=-0.5, message="half ✓", timestamp_ms=I64_MAX)

def job_failure():
    return pb.JobFailure(error="boom " + UNICODE, stack="at line 1\n\tat line 2", error_code="VALIDATION", do_not_retry=True)

def report_ack():
    return pb.ReportAck(lease=lease(), sequence=U64_MAX)

def job_assignment():
    return pb.JobAssignment(lease=lease(), queue="import", workflow_type="IMPORT_ASSETS", job_name="Process Data ✓",
                            job_position=I32_MAX, params={"file_path": "/data/assets.csv", "ключ": "значение"},
                            idempotency_key="job-f", heartbeat_timeout_ms=30_000, deadline_at_ms=I64_MIN,
                            user_id="u-" + UNICODE, inputs=[job_outputs(), pb.JobOutputs()])

def job_outputs():
    return pb.JobOutputs(job_id="job-0", job_name="Fetch ✓", job_position=I32_MAX, outputs={"rows_read": "16"})

def artifact():
    return pb.Artifact(id="wf-1.assets.xlsx", name="assets.xlsx", content_type="application/pdf ✓", size_bytes=I64_MAX,
                       sha256="ab" * 32, workflow_id="wf-1", job_id="job-f", created_at_ms=I64_MIN)

def upload_header():
    return pb.UploadHeader(name="assets " + UNICODE + ".csv", content_type="text/csv", sha256="0f" * 32, size_bytes=I64_MAX)

def asset():
    return pb.Asset(id="17", tag="P-101", type="Pump", name=UNICODE, attributes={"power_kw": "15", "ünï": ""},
                    links=["M-101", "", "M-101"], flags={"pump-needs-motor": "no Motor ✓"}, route="/assets/17",
                    created_at_ms=I64_MIN, updated_at_ms=I64_MAX, updated_by_workflow_id="wf-1")

def worker_info():
    return pb.WorkerInfo(worker=worker_ref(), queues=["import", "export"], slots=I32_MAX, slots_in_use=-1,
                         labels={"region": "eu"}, connected_at_ms=I64_MIN, last_heartbeat_at_ms=I64_MAX, leases=[lease()])

def entity():
    return pb.EntityRef(tag="P-101", route="/assets/123", id="123", type="asset")

def step():
    return pb.Step(id="s-1", message="Created P-101 " + UNICODE, level=pb.LOG_LEVEL_WARN, entity=entity(),
                   timestamp_ms=1_700_000_000_123, sequence=U64_MAX, attempt=2)

def failed_attempt():
    return pb.JobAttempt(attempt=2, outcome=pb.JOB_ATTEMPT_OUTCOME_TIMED_OUT, started_at_ms=1_700_000_000_000,
                         finished_at_ms=I64_MAX, error="attempt 2 of Process Data timed out after 500 ms " + UNICODE,
                         error_code="TIMEOUT", stack="at line 1\n\tat line 2", worker=worker_ref())

def failed_job():
    return pb.Job(id="job-f", name="Process Data", position=3, status=pb.JOB_STATUS_FAILED,
                  steps=[step(), pb.Step(id="s-2", message="unknown level", level=42), pb.Step()],
                  progress=0.75, progress_message="3 of 4", stats=stats(), error="boom: disk full",
                  stack="at line 1\n\tat line 2", started_at_ms=-5, finished_at_ms=I64_MAX, step_count=3,
                  attempt=I32_MAX,
                  failed_attempts=[pb.JobAttempt(attempt=1, outcome=pb.JOB_ATTEMPT_OUTCOME_FAILED, error="boom",
                                                 error_code="ERROR"),
                                   failed_attempt(), pb.JobAttempt(attempt=-1, outcome=42)],
                  next_attempt_at_ms=I64_MAX, worker=pb.WorkerRef(), queue="import-" + UNICODE,
                  outputs={"rows_read": "16", "ünï": UNICODE})

def job(j):
    result = pb.Job(id=f"job-{j}", name=f"Job {j} ✓", position=j, status=pb.JOB_STATUS_COMPLETED,
                    progress=1, progress_message="done", started_at_ms=j, finished_at_ms=j + 1,
                    step_count=4, attempt=j % 2 + 1)
    for s in range(4):
        st = result.steps.add(id=f"s-{j}-{s}", message=f"Step {s} of job {j}", level=pb.LOG_LEVEL_INFO,
                              timestamp_ms=1000 * j + s, sequence=100 * j + s, attempt=j % 2 + 1)
        if s == 0:
            st.entity.CopyFrom(pb.EntityRef(tag=f"T-{j}{s}", route=f"/r/{j}/{s}", id=f"{s}", type="asset"))
        elif s == 3:
            st.entity.SetInParent()
    if j != 1:
        result.stats.CopyFrom(pb.Stats(duration_ms=j * 10, counters={"n": j}))
    return result

def workflow():
    return pb.Workflow(id="wf-1", type="IMPORT_ASSETS", summary="Import Gold Mine ⛏️",
                       status=pb.WORKFLOW_STATUS_FAILED, created_at_ms=I64_MIN, started_at_ms=1, finished_at_ms=2,
                       user_id="u-1", user_name=UNICODE,
                       params={"file_path": "/data/assets.csv", "mode": "full", "ünïcødé": "值 🚀", "empty": ""},
                       jobs=[job(0), job(1), job(2), failed_job()], stats=stats(), error="boom: disk full",
                       failed_job_id="job-f", failed_job_name="Process Data", request_id="req-42", attempt=3,
                       deadline_at_ms=1_700_000_360_000, as_of_sequence=U64_MAX,
                       result={"assets": "16", "xlsx_artifact_id": "wf-1.assets.xlsx"}, artifacts=[artifact(), pb.Artifact()],
                       started_by="root ✓", retried_by="ops", cancelled_by=UNICODE)

def workflow_summary():
    return pb.Workflow(id="wf-2", type="EXPORT", status=pb.WORKFLOW_STATUS_RUNNING, created_at_ms=1_700_000_000_000,
                       user_id="u-2",
                       jobs=[pb.Job(id="job-a", name="Export", status=pb.JOB_STATUS_RUNNING, step_count=12, attempt=1),
                             pb.Job(id="job-b", name="Notify", position=1, step_count=0, attempt=-1)],
                       attempt=I32_MIN)

def log_event():
    return pb.LogEvent(
        sequence=U64_MAX - 1, timestamp_ms=-1, kind=99, level=pb.LOG_LEVEL_ERROR,
        message="IMPORT_ASSETS failed at Process Data: boom", workflow_id="wf-1", workflow_type="IMPORT_ASSETS",
        user_id="u-1", job_id="job-f", job_name="Process Data", job_position=I32_MIN, step=step(), progress=0.5,
        progress_message="half way", workflow_status=pb.WORKFLOW_STATUS_CANCELLED, job_status=-7, stats=stats(),
        error="boom", stack="trace ✓", gap_from_sequence=17, gap_to_sequence=U64_MAX, attempt=-2,
        retry_at_ms=I64_MIN, worker=worker_ref(), outputs={"rows_read": "16", "": UNICODE}, actor="alice ✓")

def workflow_count():
    return pb.WorkflowCount(type="IMPORT_ASSETS", status=42, count=I64_MAX)

FIXTURES = {
    "StartWorkflowRequest": pb.StartWorkflowRequest(
        type="IMPORT_ASSETS", params={"file_path": "/data/assets.csv", "ключ": "значение"},
        user_id="u-1", user_name=UNICODE, summary="Import Gold Mine", request_id="req-42"),
    "StartWorkflowResponse": pb.StartWorkflowResponse(workflow_id="wf-1", status=pb.WORKFLOW_STATUS_RUNNING),
    "GetWorkflowRequest": pb.GetWorkflowRequest(workflow_id="wf-🚀", omit_steps=True),
    "Stats": stats(),
    "EntityRef": entity(),
    "Step": step(),
    "JobAttempt": failed_attempt(),
    "Job": failed_job(),
    "Workflow": workflow(),
    "WatchLogsRequest": pb.WatchLogsRequest(workflow_id="wf-1", min_level=pb.LOG_LEVEL_WARN,
                                            after_sequence=U64_MAX, live_only=True, workflow_type="IMPORT_ASSETS",
                                            user_id="u-✓", job_id="job-f", entity_tag="P-101",
                                            kinds=[pb.LOG_EVENT_KIND_FAILURE_NOTICE, 99, pb.LOG_EVENT_KIND_WORKFLOW_STARTED,
                                                   pb.LOG_EVENT_KIND_FAILURE_NOTICE]),
    "LogEvent": log_event(),
    "RetryWorkflowRequest": pb.RetryWorkflowRequest(workflow_id="wf-🚀"),
    "RetryWorkflowResponse": pb.RetryWorkflowResponse(
        workflow_id="wf-1", status=pb.WORKFLOW_STATUS_RUNNING, attempt=I32_MAX, job_id="job-f",
        job_name="Process Data ✓"),
    "CancelWorkflowRequest": pb.CancelWorkflowRequest(workflow_id="wf-1", reason="pressed Cancel: " + UNICODE),
    "CancelWorkflowResponse": pb.CancelWorkflowResponse(workflow_id="wf-1", status=77),
    "ListWorkflowsRequest": pb.ListWorkflowsRequest(
        statuses=[pb.WORKFLOW_STATUS_FAILED, pb.WORKFLOW_STATUS_RUNNING, 99, -3, pb.WORKFLOW_STATUS_UNSPECIFIED,
                  pb.WORKFLOW_STATUS_FAILED, I32_MAX],
        type="IMPORT_ASSETS", user_id="u-1", created_after_ms=I64_MIN, created_before_ms=I64_MAX, page_size=1000,
        page_token="cursor-🚀", summary_contains="Gold ⛏️"),
    "ListWorkflowsResponse": pb.ListWorkflowsResponse(
        workflows=[workflow_summary(), pb.Workflow(), workflow()], next_page_token="page-2 ✓"),
    "WorkerRef": worker_ref(),
    "LeaseToken": lease(),
    "WorkerHello": pb.WorkerHello(name="python-importer", instance_id="i-" + UNICODE, queues=["import", "", "export"],
                                  slots=I32_MIN, labels={"region": "eu", "ünï": ""}, held_leases=[lease(), pb.LeaseToken()]),
    "WorkerHeartbeat": pb.WorkerHeartbeat(leases=[lease(), lease()], draining=True),
    "StepReport": pb.StepReport(message="Created P-101 " + UNICODE, level=42, timestamp_ms=I64_MIN),
    "ProgressReport": progress_report(),
    "JobUpdate": pb.JobUpdate(progress=progress_report()),
    "JobCompletion": pb.JobCompletion(outputs={"rows_read": "16", "ünï": UNICODE, "empty": ""}),
    "JobFailure": job_failure(),
    "JobRelease": pb.JobRelease(reason="worker stopping"),
    "JobReport": pb.JobReport(
        lease=lease(), sequence=U64_MAX,
        updates=[pb.JobUpdate(step=pb.StepReport(message="s", level=pb.LOG_LEVEL_WARN, entity=entity(), timestamp_ms=1)),
                 pb.JobUpdate(progress=progress_report()), pb.JobUpdate()],
        counters={"itemsCreated": I64_MAX, "itemsFailed": I64_MIN}, failed=job_failure()),
    "WorkerMessage": pb.WorkerMessage(report=pb.JobReport(lease=lease(), sequence=1, released=pb.JobRelease(reason="worker stopping"))),
    "WorkerWelcome": pb.WorkerWelcome(heartbeat_interval_ms=1000, resumed_leases=[report_ack(), pb.ReportAck()]),
    "JobAssignment": job_assignment(),
    "ReportAck": report_ack(),
    "ReportRefusal": pb.ReportRefusal(sequence=7, code=9, message="lease ended ✓"),
    "JobCancellation": pb.JobCancellation(lease=lease(), reason="cancelled by request " + UNICODE, lease_ended=True),
    "ServerMessage": pb.ServerMessage(assignment=job_assignment()),
    "ListWorkersRequest": pb.ListWorkersRequest(queue="import-🚀"),
    "ListWorkersResponse": pb.ListWorkersResponse(workers=[worker_info(), pb.WorkerInfo()]),
    "WorkerInfo": worker_info(),
    "ListStepsRequest": pb.ListStepsRequest(workflow_id="wf-1", job_id="job-f", min_level=pb.LOG_LEVEL_WARN, entity_tag="P-101",
                                            before_sequence=U64_MAX, after_sequence=1, page_size=-1, oldest_first=True),
    "ListStepsResponse": pb.ListStepsResponse(
        steps=[pb.LogEvent(sequence=7, kind=pb.LOG_EVENT_KIND_STEP_LOGGED, step=step()), pb.LogEvent(), log_event()], has_more=True),
    "CountWorkflowsRequest": pb.CountWorkflowsRequest(type="IMPORT_ASSETS", user_id="u-✓", summary_contains=UNICODE,
                                                      created_after_ms=I64_MIN, created_before_ms=I64_MAX),
    "WorkflowCount": workflow_count(),
    "CountWorkflowsResponse": pb.CountWorkflowsResponse(
        counts=[workflow_count(), pb.WorkflowCount(), pb.WorkflowCount(type="TEST", status=pb.WORKFLOW_STATUS_FAILED, count=-1)]),
    "JobOutputs": job_outputs(),
    "Artifact": artifact(),
    "UploadHeader": upload_header(),
    "UploadFileRequest": pb.UploadFileRequest(header=upload_header()),
    "UploadedFile": pb.UploadedFile(file_id="f-5N0G7M3Q2WAKX9T1D4H8C6BVRE", name="assets.csv", content_type="text/csv",
                                    size_bytes=I64_MAX, sha256="0f" * 32, created_at_ms=I64_MIN, expires_at_ms=I64_MAX),
    "DownloadArtifactRequest": pb.DownloadArtifactRequest(artifact_id="wf-1.assets.xlsx", offset=I64_MIN),
    "ArtifactChunk": pb.ArtifactChunk(artifact=artifact(), data=bytes(range(256))),
    "Asset": asset(),
    "ListAssetsRequest": pb.ListAssetsRequest(type="Pump", tag_prefix="P-", flagged_only=True, linked_to="M-101", page_size=-1,
                                              page_token="UC0xMDE="),
    "ListAssetsResponse": pb.ListAssetsResponse(assets=[asset(), pb.Asset()], next_page_token="UC0xMDE=", total_count=I32_MAX),
    "GetAssetRequest": pb.GetAssetRequest(asset_id="17", tag="P-101 ✓"),
    "DownloadFileRequest": pb.DownloadFileRequest(file_id="f-5N0G7M3Q2WAKX9T1D4H8C6BVRE", offset=I64_MAX),
    "FileChunk": pb.FileChunk(file=pb.UploadedFile(file_id="f-5N0G7M3Q2WAKX9T1D4H8C6BVRE", name="assets.csv",
                                                   content_type="text/csv", size_bytes=I64_MAX, sha256="0f" * 32,
                                                   created_at_ms=I64_MIN, expires_at_ms=I64_MAX),
                              data=bytes([0, 255, 7])),
    "WhoAmIRequest": pb.WhoAmIRequest(),
    "WhoAmIResponse": pb.WhoAmIResponse(subject="alice ✓", roles=["user", "worker:imports", ""], authenticated=True),
}

def differences(expected, actual, path):
    """Field-by-field comparison; returns the paths that differ."""
    found = []
    for field in expected.DESCRIPTOR.fields:
        name = f"{path}.{field.name}"
        want, got = getattr(expected, field.name), getattr(actual, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            if dict(want) != dict(got):
                found.append(f"{name}: want {dict(want)!r} got {dict(got)!r}")
        elif (field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED):
            if len(want) != len(got):
                found.append(f"{name}: want {len(want)} elements got {len(got)}")
            elif field.message_type is None:
                if list(want) != list(got):
                    found.append(f"{name}: want {list(want)!r} got {list(got)!r}")
            else:
                for i, (w, g) in enumerate(zip(want, got)):
                    found += differences(w, g, f"{name}[{i}]")
        elif field.message_type is not None:
            if expected.HasField(field.name) != actual.HasField(field.name):
                found.append(f"{name}: presence want {expected.HasField(field.name)} got {actual.HasField(field.name)}")
            elif expected.HasField(field.name):
                found += differences(want, got, name)
        elif want != got:
            found.append(f"{name}: want {want!r} got {got!r}")
    if not found and expected != actual:
        found.append(f"{path}: messages differ (unknown fields?)")
    return found

from google.protobuf import json_format

mode, directory = sys.argv[1], sys.argv[2]
failed = False
for name, expected in FIXTURES.items():
    if mode == "write":
        with open(os.path.join(directory, f"py_{name}.bin"), "wb") as f:
            f.write(expected.SerializeToString())
        print("wrote", name)
    elif mode == "write-json":
        # Python prints lowerCamelCase names by default: the Swift side must read those too.
        with open(os.path.join(directory, f"py_{name}.json"), "w", encoding="utf-8") as f:
            f.write(json_format.MessageToJson(expected))
        print("wrote", name)
    else:
        suffix = "json" if mode == "check-json" else "bin"
        with open(os.path.join(directory, f"swift_{name}.{suffix}"), "rb") as f:
            data = f.read()
        actual = getattr(pb, name)()
        try:
            if mode == "check-json":
                json_format.Parse(data.decode("utf-8"), actual)
                # Not only readable: exactly the canonical form protobuf itself prints with
                # proto field names and every field (int64 as strings, enum names, ...).
                canonical = json_format.MessageToDict(expected, preserving_proto_field_name=True,
                                                      always_print_fields_with_no_presence=True)
                written = json.loads(data)
                if written != canonical:
                    print("FAIL", name, "is not protobuf's canonical JSON:", json.dumps(written, sort_keys=True),
                          "expected", json.dumps(canonical, sort_keys=True), sep="\n  ")
                    failed = True
                    continue
            else:
                actual.ParseFromString(data)
        except Exception as error:
            print("FAIL", name, "does not parse:", error)
            failed = True
            continue
        found = differences(expected, actual, name)
        if found:
            failed = True
            print("FAIL", name, *found, sep="\n  ")
        else:
            print("ok", name)
sys.exit(1 if failed else 0)
"""#
}
