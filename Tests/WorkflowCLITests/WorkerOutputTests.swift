import Foundation
import Testing
import WorkflowCLI
import WorkflowMessages

@Suite struct WorkerOutputTests {
    static let worker = WorkflowV1.WorkerInfo(
        worker: WorkflowV1.WorkerRef(name: "python-importer", instanceID: "host-1-42"), queues: ["import", "export"],
        slots: 4, slotsInUse: 1, labels: ["region": "eu", "tier": "gold"], connectedAtMs: 1_000, lastHeartbeatAtMs: 9_600,
        leases: [WorkflowV1.LeaseToken(workflowID: "wf-1", jobID: "wf-1-j2", attempt: 2, epoch: 17)]
    )

    @Test func theWorkerTableShowsSlotsInUseHeartbeatAgeLabelsAndLeases() {
        let lines = WorkerListFormatter().lines(for: [Self.worker], nowMs: 10_000).map { $0.rendered(width: nil, colour: false) }
        #expect(lines == [
            "WORKER           INSTANCE   QUEUES         SLOTS  LAST HEARTBEAT  LABELS",
            "python-importer  host-1-42  import,export  1/4    400ms ago       region=eu tier=gold",
            "  wf-1-j2 attempt 2 (lease 17)",
        ])
        #expect(WorkerListFormatter().lines(for: [], nowMs: 0).map(\.plainText) == ["no workers connected"])
    }

    @Test func aWorkerIsOneJSONObjectWithItsLeases() throws {
        let object = try #require(JSONSerialization.jsonObject(with: Data(MessageJSON.line(for: Self.worker).utf8)) as? [String: Any])
        #expect(object["name"] as? String == "python-importer" && object["instance_id"] as? String == "host-1-42")
        #expect(object["queues"] as? [String] == ["import", "export"])
        #expect(object["slots"] as? Int == 4 && object["slots_in_use"] as? Int == 1)
        #expect(object["labels"] as? [String: String] == ["region": "eu", "tier": "gold"])
        let leases = try #require(object["leases"] as? [[String: Any]])
        #expect(leases.first?["job_id"] as? String == "wf-1-j2" && leases.first?["epoch"] as? Int == 17)
    }

    @Test func theTreeNamesARemoteJobsQueueWorkerAndTheWorkerOfEachFailedAttempt() {
        let job = WorkflowV1.Job(
            id: "wf-1-j2", name: "Process", position: 1, status: .running, attempt: 2,
            failedAttempts: [WorkflowV1.JobAttempt(attempt: 1, outcome: .timedOut, error: "lease expired", errorCode: "TIMEOUT",
                                                   worker: WorkflowV1.WorkerRef(name: "py", instanceID: "a"))],
            worker: WorkflowV1.WorkerRef(name: "py", instanceID: "b"), queue: "import"
        )
        let workflow = WorkflowV1.Workflow(id: "wf-1", type: "MIXED", status: .running, jobs: [job])
        let text = WorkflowTreeFormatter(showsSteps: false).lines(for: workflow, nowMs: 0).map(\.plainText)
        #expect(text.contains("      queue import · worker py (b)"))
        #expect(text.contains("      attempt 1 TIMED_OUT (TIMEOUT) on py (a): lease expired"))
    }
}
