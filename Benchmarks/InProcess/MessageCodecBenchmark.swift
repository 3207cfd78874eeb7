internal import CAllocationCounter
import WorkflowMessages

/// The cost of the generated message layer: encoding and decoding the two messages the server
/// sends most, a `STEP_LOGGED` `LogEvent` (every WatchLogs event) and a 3-job, 9-step
/// `Workflow` (a GetWorkflow answer, about 1.2 KB), through protoc-c.
///
/// Each figure is the best of five rounds of `iterations` calls, in nanoseconds per call, with
/// the allocations of the best round per call.
struct MessageCodecBenchmark {
    let iterations: Int

    struct Figure {
        var name: String
        var nanoseconds: Double
        var allocations: Double
    }

    func run() -> [Figure] {
        let event = Self.stepEvent
        let workflow = Self.workflow
        let eventBytes = event.serializedBytes()
        let workflowBytes = workflow.serializedBytes()
        var frame: [UInt8] = []
        frame.reserveCapacity(4096)
        var checksum = 0
        let figures = [
            measure("log_event.encode") {
                frame.removeAll(keepingCapacity: true)
                event.serialize(appendingTo: &frame)
                checksum &+= frame.count
            },
            measure("log_event.decode") {
                checksum &+= (try? WorkflowV1.LogEvent(serializedBytes: eventBytes))?.message.utf8.count ?? 0
            },
            measure("workflow.encode") {
                checksum &+= workflow.serializedBytes().count
            },
            measure("workflow.decode") {
                checksum &+= (try? WorkflowV1.Workflow(serializedBytes: workflowBytes))?.jobs.count ?? 0
            },
        ]
        precondition(checksum != 0, "the measured calls did nothing")
        return figures
    }

    private func measure(_ name: String, _ body: () -> Void) -> Figure {
        var best = Figure(name: name, nanoseconds: .infinity, allocations: 0)
        for _ in 0..<5 {
            let allocationsBefore = c_allocation_counter_allocations()
            let start = ContinuousClock.now
            for _ in 0..<iterations { body() }
            let elapsed = (ContinuousClock.now - start).nanoseconds / Double(iterations)
            let allocations = Double(c_allocation_counter_allocations() - allocationsBefore) / Double(iterations)
            if elapsed < best.nanoseconds { best = Figure(name: name, nanoseconds: elapsed, allocations: allocations) }
        }
        return best
    }

    /// A step event as WatchLogs streams it.
    static let stepEvent = WorkflowV1.LogEvent(
        sequence: 1_234_567, timestampMs: 1_733_300_000_000, kind: .stepLogged, level: .info,
        message: "Created P-101", workflowID: "wf-0H5N3Q8T2ZK1", workflowType: "IMPORT_ASSETS", userID: "u-42",
        jobID: "job-2", jobName: "Process Data", jobPosition: 1,
        step: WorkflowV1.Step(
            id: "step-77", message: "Created P-101", level: .info,
            entity: WorkflowV1.EntityRef(tag: "P-101", route: "/assets/101", id: "101", type: "asset"),
            timestampMs: 1_733_300_000_000, sequence: 1_234_567, attempt: 1
        ),
        attempt: 1
    )

    /// A finished workflow of three jobs with three steps each.
    static let workflow = WorkflowV1.Workflow(
        id: "wf-0H5N3Q8T2ZK1", type: "IMPORT_ASSETS", summary: "Import Gold Mine", status: .completed,
        createdAtMs: 1_733_300_000_000, startedAtMs: 1_733_300_000_001, finishedAtMs: 1_733_300_000_900,
        userID: "u-42", userName: "Ada", params: ["file_path": "/data/assets.csv", "site": "gold-mine"],
        jobs: ["Fetch", "Process", "Save"].enumerated().map { position, name in
            WorkflowV1.Job(
                id: "job-\(position)", name: name, position: Int32(position), status: .completed,
                steps: (0..<3).map { index in
                    WorkflowV1.Step(
                        id: "step-\(position)-\(index)", message: "Created P-10\(index)", level: .info,
                        entity: WorkflowV1.EntityRef(tag: "P-10\(index)", route: "/assets/10\(index)", id: "10\(index)", type: "asset"),
                        timestampMs: 1_733_300_000_100, sequence: UInt64(position * 10 + index), attempt: 1
                    )
                },
                progress: 1, progressMessage: "done",
                stats: WorkflowV1.Stats(durationMs: 300, counters: ["itemsProcessed": 3, "itemsCreated": 3]),
                startedAtMs: 1_733_300_000_001, finishedAtMs: 1_733_300_000_300, stepCount: 3, attempt: 1
            )
        },
        stats: WorkflowV1.Stats(durationMs: 899, counters: ["itemsProcessed": 9, "itemsCreated": 9]),
        attempt: 1
    )
}
