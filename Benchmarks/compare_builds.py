#!/usr/bin/env python3
"""Compares the server CPU of two or more workflowd builds, A/B, for a before/after of a change.

    Benchmarks/compare_builds.py --reference-dir .build/bench/reference --rounds 6 \
        before=../old/.build/release/workflowd after=.build/release/workflowd

Scripts/bench.sh reads server CPU in 10 ms ticks over 100,000 calls or events, so one tick is
0.1 µs per call: as large as the effects a change is judged by. This does more work per reading
(300,000 GetWorkflow calls; 10 replays of a 100,000-event workflow; 100,000 StartWorkflow calls
of a 1-job, 1-step TEST workflow, which each run) and alternates the builds
round by round, so a slow spell of the machine hits them alike. Each build runs as
`workflowd --store memory` pinned to core 0, the load on core 1; it prints one line per round
and the median and all rounds per build. Needs the reference's `bench_client` (Scripts/bench.sh
builds it) and h2load.

With `--paired` (two builds) the machine's drift, which on a shared VM can be larger than the
effect, hits both builds at once: each round runs both on core 0 at the same time, with one
StartWorkflow load each from core 1 at the same time (20,000 calls to warm up, then 100,000),
and reads each server's CPU per call; `--store sqlite` measures the durable default:

    Benchmarks/compare_builds.py --reference-dir .build/bench/reference --paired --store sqlite \
        before=/tmp/before/workflowd after=.build/release/workflowd
"""
import argparse
import os
import tempfile
import threading
import time

import bench

GET_CALLS = 300_000
START_CALLS = 100_000
REPLAY_STEPS = 49_998  # 1 job: 2 x steps + 4 events = 100,000
REPLAYS = 10


def measure(name, binary, harness):
    server = harness.fresh(name, [binary, "--port", "0", "--http-port", "0", "--store", "memory"])
    try:
        replayed = harness.finished_workflow(server, jobs="1", steps=str(REPLAY_STEPS))
        harness.bench_client(server, "watch", server.target, replayed)  # warm-up
        before, events = server.cpu_seconds(), 0
        for _ in range(REPLAYS):
            events += int(harness.bench_client(server, "watch", server.target, replayed)["events"])
        replay_ns = (server.cpu_seconds() - before) / events * 1e9

        read = harness.finished_workflow(server, jobs="3", steps="3")
        body = os.path.join(harness.workdir, "get.grpc")
        bench.run([harness.client, "encode-get", body, read])
        harness.h2load(server, "GetWorkflow", body, 20_000, 4, 32)  # warm-up
        before = server.cpu_seconds()
        harness.h2load(server, "GetWorkflow", body, GET_CALLS, 4, 32)
        get_us = (server.cpu_seconds() - before) / GET_CALLS * 1e6

        start = os.path.join(harness.workdir, "start.grpc")
        bench.run([harness.client, "encode-start", start, "jobs=1", "steps=1", "step_delay_ms=0"])
        harness.h2load(server, "StartWorkflow", start, 10_000, 4, 32)  # warm-up
        time.sleep(0.5)
        before = server.cpu_seconds()
        harness.h2load(server, "StartWorkflow", start, START_CALLS, 4, 32)
        time.sleep(0.5)  # the workflows the calls started finish within this
        start_us = (server.cpu_seconds() - before) / START_CALLS * 1e6
    finally:
        server.stop()
    return get_us, replay_ns, start_us


def measure_paired(builds, store, harness):
    """Both builds at once on the server core, one StartWorkflow load each at once from the
    client core: each one's server CPU per call."""
    servers = []
    try:
        for name, binary in builds:
            data_dir = tempfile.mkdtemp(prefix=f"{name}-", dir=harness.workdir)
            servers.append(harness.fresh(name, [binary, "--port", "0", "--http-port", "0", "--store", store, "--data-dir", data_dir]))
        start = os.path.join(harness.workdir, "start.grpc")
        bench.run([harness.client, "encode-start", start, "jobs=1", "steps=1", "step_delay_ms=0"])

        def load_all(calls):
            threads = [threading.Thread(target=harness.h2load, args=(server, "StartWorkflow", start, calls, 4, 32))
                       for server in servers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        load_all(20_000)  # warm-up
        time.sleep(0.5)
        before = [server.cpu_seconds() for server in servers]
        load_all(START_CALLS)
        time.sleep(1)  # the workflows the calls started finish within this
        return [(server.cpu_seconds() - cpu) / START_CALLS * 1e6 for server, cpu in zip(servers, before)]
    finally:
        for server in servers:
            server.stop()


def main_paired(builds, store, rounds, harness):
    results = {name: [] for name, _ in builds}
    for index in range(rounds):
        ordered = builds if index % 2 == 0 else list(reversed(builds))
        for (name, _), start_us in zip(ordered, measure_paired(ordered, store, harness)):
            results[name].append(start_us)
        print(", ".join(f"{name}: StartWorkflow {results[name][-1]:.1f} µs per call" for name, _ in builds), flush=True)
    for name, values in results.items():
        ordered = sorted(values)
        print(f"{name}: StartWorkflow CPU per call (paired, --store {store}): median {ordered[len(ordered) // 2]:.1f} µs, "
              f"rounds {', '.join(f'{value:.1f}' for value in values)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference-dir", required=True, help="where Scripts/bench.sh built bench_client")
    parser.add_argument("--workflow-bench", help="a workflow-bench build, for the method paths (default: beside the last workflowd)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--paired", action="store_true", help="two builds at once, StartWorkflow only (see above)")
    parser.add_argument("--store", choices=["memory", "sqlite"], default="memory", help="with --paired: the store both builds use")
    parser.add_argument("builds", nargs="+", metavar="NAME=WORKFLOWD", help="two or more builds to compare")
    args = parser.parse_args()
    builds = [(name, os.path.abspath(path)) for name, path in (build.split("=", 1) for build in args.builds)]
    workflow_bench = args.workflow_bench or os.path.join(os.path.dirname(builds[-1][1]), "workflow-bench")
    harness = bench.Harness(argparse.Namespace(tiny=False, reference_dir=args.reference_dir, workflow_bench=workflow_bench))
    if args.paired:
        if len(builds) != 2:
            parser.error("--paired compares exactly two builds")
        main_paired(builds, args.store, args.rounds, harness)
        return
    results = {name: [] for name, _ in builds}
    for index in range(args.rounds):
        for name, binary in builds if index % 2 == 0 else list(reversed(builds)):
            get_us, replay_ns, start_us = measure(name, binary, harness)
            results[name].append((get_us, replay_ns, start_us))
            print(f"{name}: GetWorkflow {get_us:.2f} µs per call, WatchLogs replay {replay_ns:.0f} ns per event, "
                  f"StartWorkflow {start_us:.2f} µs per call", flush=True)
    for name, rounds in results.items():
        for label, values, unit in (("GetWorkflow CPU per call", [r[0] for r in rounds], "µs"),
                                    ("WatchLogs replay CPU per event", [r[1] for r in rounds], "ns"),
                                    ("StartWorkflow CPU per call", [r[2] for r in rounds], "µs")):
            ordered = sorted(values)
            print(f"{name}: {label}: median {ordered[len(ordered) // 2]:.2f} {unit}, "
                  f"rounds {', '.join(f'{value:.2f}' for value in values)}")


if __name__ == "__main__":
    main()
