"""The benchmark driver's table and method paths (Benchmarks/bench.py), without running any
benchmark."""
import os
import sys
import types

from conftest import ROOT, WORKFLOW_SERVICE, method_path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Benchmarks"))
import bench  # noqa: E402


def table(results, servers=("workflowd", "reference")):
    harness = types.SimpleNamespace(args=types.SimpleNamespace(servers=list(servers)), results=results)
    return bench.report(harness, ((1.0, 1.0, 1.0), (1.0, 1.0, 1.0)))


def row(text, measure):
    return next(line for line in text.splitlines() if line.startswith(f"| {measure} |"))


def test_ratios_and_targets_compare_medians():
    text = table({
        ("GetWorkflow throughput (req/s)", "workflowd"): [90.0, 100.0, 300.0],
        ("GetWorkflow throughput (req/s)", "reference"): [50.0, 40.0, 60.0],
        ("GetWorkflow server CPU per call (µs)", "workflowd"): [8.0],
        ("GetWorkflow server CPU per call (µs)", "reference"): [10.0],
    })
    assert row(text, "GetWorkflow throughput (req/s)").endswith("| 100 (90.0–300) | 50.0 (40.0–60.0) | 2.00× | ≥ 2.0× ✅ |")
    assert row(text, "GetWorkflow server CPU per call (µs)").endswith("| 0.80× | ≤ 0.5× ❌ |")


def test_a_zero_reference_figure_gives_no_ratio_instead_of_failing():
    # A tiny run can measure 0 s of CPU (below one 10 ms tick): that once divided by zero.
    text = table({
        ("StartWorkflow server CPU per call (µs)", "workflowd"): [5.0],
        ("StartWorkflow server CPU per call (µs)", "reference"): [0.0],
    })
    assert row(text, "StartWorkflow server CPU per call (µs)").endswith("| — |  |")


def test_absolute_targets_apply_to_workflowd_alone():
    text = table({("log_step: caller's cost (ns/call)", "workflowd"): [468.0]})
    assert row(text, "log_step: caller's cost (ns/call)").endswith("| 468 | — | — | ≤ 1,000 ✅ |")


def test_method_paths_come_from_the_generated_descriptors():
    """bench.py asks workflow-bench for the paths (the system python3 has no protobuf)."""
    workflow_bench = ROOT / ".build/debug/workflow-bench"
    assert workflow_bench.exists(), f"{workflow_bench} does not exist: build it first (swift build)"
    paths = bench.method_paths(str(workflow_bench))
    assert paths == {name: method_path(WORKFLOW_SERVICE, name) for name in WORKFLOW_SERVICE.methods_by_name}
