"""The product templates through a stock grpcio client: IMPORT_ASSETS on the sample file,
RULE_EXECUTION, EXPORT_PACKAGE checked with openpyxl and poppler, a type declared in a
configuration file, and a bad configuration stopping workflowd at start."""

import contextlib
import dataclasses
import os
import re
import shutil
import subprocess

import grpc
import pytest

from conftest import ROOT, Server, workflowd_binary
from workflow.v1 import workflow_pb2 as pb
from workflow.v1 import workflow_pb2_grpc

SAMPLES = ROOT / "Samples"


@contextlib.contextmanager
def product_server():
    """A workflowd with Samples/templates.conf loaded, started in the repository root (the
    configuration names Samples/rules.conf relative to it), and a stub on it; each has its own
    asset registry."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        server = Server("--templates", str(SAMPLES / "templates.conf"))
    finally:
        os.chdir(cwd)
    try:
        with grpc.insecure_channel(server.address) as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            yield workflow_pb2_grpc.WorkflowServiceStub(channel)
    finally:
        server.stop()
    assert server.process.returncode == 0


@pytest.fixture(scope="module")
def product():
    """A server for tests whose outcome does not depend on what its registry holds."""
    with product_server() as stub:
        yield stub


@dataclasses.dataclass
class Plant:
    """A server of its own whose registry got the sample CSV and then the sample rules, once,
    and the two finished workflows. Tests may only add workflows that change nothing (a
    re-import of the same file), so any of them may run first, alone or in any order."""

    stub: object
    imported: object
    ruled: object


@pytest.fixture(scope="module")
def plant():
    with product_server() as stub:
        imported = run(stub, "IMPORT_ASSETS", file_path=str(SAMPLES / "assets.csv"))
        ruled = run(stub, "RULE_EXECUTION", rules_path=str(SAMPLES / "rules.conf"))
        yield Plant(stub, imported, ruled)


def run(stub, workflow_type, **params):
    """Starts a workflow, follows its events to the end, and returns the finished tree."""
    started = stub.StartWorkflow(pb.StartWorkflowRequest(
        type=workflow_type, params=params, user_id="u-1", user_name="ada@example.com", summary=f"Interop {workflow_type}",
    ), timeout=10)
    events = list(stub.WatchLogs(pb.WatchLogsRequest(workflow_id=started.workflow_id), timeout=60))
    assert events, "no events"
    return stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=started.workflow_id), timeout=10)


def steps(workflow, min_level=pb.LOG_LEVEL_DEBUG):
    return [step for job in workflow.jobs for step in job.steps if step.level >= min_level]


def test_import_assets_on_the_sample_csv(plant):
    workflow = plant.imported

    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow.error
    assert [job.name for job in workflow.jobs] == ["Fetch External Assets", "Process Data", "Validate", "Save to Database"]
    counters = dict(workflow.stats.counters)
    assert {k: counters[k] for k in ["itemsFetched", "itemsProcessed", "itemsCreated", "itemsUpdated", "itemsFailed"]} == {
        "itemsFetched": 15, "itemsProcessed": 14, "itemsCreated": 10, "itemsUpdated": 0, "itemsFailed": 5,
    }

    created = {step.entity.tag: step for step in workflow.jobs[3].steps if step.message.startswith("Created ")}
    assert sorted(created) == ["M-101", "M-102", "M-103", "P-101", "P-102", "P-103", "T-401", "V-201", "V-202", "XV-2001"]
    pump = created["P-101"]
    assert pump.message == "Created Pump P-101"
    assert pump.entity.type == "Asset"
    assert pump.entity.id and pump.entity.route == f"/assets/{pump.entity.id}"
    assert any(step.message == "Linked M-101 → P-101" for step in workflow.jobs[3].steps)

    problems = [(pb.LogLevel.Name(step.level), step.message) for step in steps(workflow, pb.LOG_LEVEL_WARN)]
    assert problems == [
        ("LOG_LEVEL_ERROR", "Line 12: skipped: no tag"),
        ("LOG_LEVEL_WARN", "Line 7: M-103 links to unknown P-999; link dropped"),
        ("LOG_LEVEL_ERROR", "Line 10: rejected P_104: the tag does not look like P-101 (letters, a dash, digits)"),
        ("LOG_LEVEL_ERROR", 'Line 11: rejected X-301: unknown type "Reactor" (known: Cable, Instrument, Motor, Pump, Sensor, Tank, Valve)'),
        ("LOG_LEVEL_ERROR", 'Line 13: rejected M-104: power_kw must be a number, got "fifteen"'),
        ("LOG_LEVEL_ERROR", "Line 14: rejected P-101: duplicate tag (first on line 2)"),
    ]

    again = run(plant.stub, "IMPORT_ASSETS", file_path=str(SAMPLES / "assets.csv"))
    assert dict(again.stats.counters)["itemsCreated"] == 0
    assert dict(again.stats.counters)["itemsUpdated"] == 0
    assert dict(again.stats.counters)["itemsUnchanged"] == 10


def test_rule_execution_flags_and_generates_cables(plant):
    workflow = plant.ruled

    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow.error
    assert [job.name for job in workflow.jobs] == ["Load Rules", "Execute Rules", "Apply Results"]
    applied = [step.message for step in workflow.jobs[2].steps]
    assert "Generated cable C-001 between M-101 and P-101" in applied
    assert "Generated cable C-002 between M-102 and P-102" in applied
    assert "Flagged P-103 (pump-needs-motor): no Motor is linked to P-103" in applied
    assert "Flagged XV-2001 (tag-format): tag XV-2001 does not match [A-Z]{1,2}-[0-9]{3}" in applied
    cable = next(step for step in workflow.jobs[2].steps if step.message.startswith("Generated cable C-001"))
    assert cable.entity.tag == "C-001" and cable.entity.route.startswith("/assets/")
    assert dict(workflow.stats.counters)["itemsCreated"] == 2


def test_export_package_is_read_by_openpyxl_and_poppler(plant, tmp_path):
    workflow = run(plant.stub, "EXPORT_PACKAGE", output_dir=str(tmp_path), package_name="plant")
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow.error
    assert [job.name for job in workflow.jobs] == ["Gather Data", "Generate Excel", "Generate PDF"]

    import openpyxl
    sheet = openpyxl.load_workbook(tmp_path / "plant.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Assets"
    assert rows[0][:6] == ("Tag", "ID", "Type", "Name", "Links", "Flags")
    by_tag = {row[0]: row for row in rows[1:]}
    assert len(by_tag) == 12
    assert by_tag["C-001"][2] == "Cable" and by_tag["C-001"][4] == "M-101; P-101"
    assert by_tag["P-103"][5] == "pump-flow; pump-needs-motor"
    power = rows[0].index("power_kw")
    assert by_tag["M-101"][power] == 15, "a numeric attribute column holds numbers"
    assert by_tag["T-401"][3] == "Kühler buffer tank"

    assert shutil.which("pdfinfo"), "poppler-utils is missing: Scripts/install-deps.sh --tests installs it"
    info = subprocess.run(["pdfinfo", tmp_path / "plant.pdf"], capture_output=True, text=True, check=True).stdout
    pages = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert pages, info
    assert int(pages.group(1)) == 1
    assert dict(workflow.stats.counters)["pagesWritten"] == 1
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", tmp_path / "plant.pdf", "-"], capture_output=True, text=True, check=True,
    ).stdout
    assert "Asset register" in text
    assert "12 assets, 2 flagged" in text
    assert "C-001 | Cable | Cable M-101 -> P-101 | links: M-101, P-101" in text
    assert "T-401 | Tank | Kühler buffer tank" in text


def test_export_refuses_a_nonexistent_directory(product):
    with pytest.raises(grpc.RpcError) as error:
        product.StartWorkflow(pb.StartWorkflowRequest(type="EXPORT_PACKAGE", params={"output_dir": "/nonexistent/out"}), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "params.output_dir" in error.value.details()


def test_import_of_an_unreadable_file_fails_fetch(product):
    workflow = run(product, "IMPORT_ASSETS", file_path="/nonexistent/assets.csv")
    assert workflow.status == pb.WORKFLOW_STATUS_FAILED
    assert workflow.failed_job_name == "Fetch External Assets"
    assert workflow.error.startswith("Cannot read /nonexistent/assets.csv")


def test_a_configured_type_runs(product):
    workflow = run(product, "IMPORT_AND_CHECK", file_path=str(SAMPLES / "assets.json"))
    assert workflow.status == pb.WORKFLOW_STATUS_COMPLETED, workflow.error
    assert [job.name for job in workflow.jobs][-3:] == ["Load Rules", "Execute Rules", "Apply Results"]
    assert any(step.entity.tag == "P-201" for step in steps(workflow))


def test_a_bad_configuration_stops_workflowd_with_line_and_reason(tmp_path):
    config = tmp_path / "templates.conf"
    config.write_text("[CHECK]\nLoad Rules = rules.load\nPause = wiat wait_ms=5\n")
    result = subprocess.run(
        [str(workflowd_binary()), "--port", "0", "--http-port", "0", "--templates", str(config)], capture_output=True, text=True, timeout=30,
    )
    assert result.returncode != 0
    assert f'{config}:3: unknown job function "wiat"' in result.stderr
