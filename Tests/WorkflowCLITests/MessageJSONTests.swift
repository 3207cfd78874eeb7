import Foundation
import Testing
import WorkflowCLI
import WorkflowMessages

@Suite struct MessageJSONTests {
    private func parse(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func aStepEventHasStableSnakeCaseFields() throws {
        var event = Fixtures.event(16, .stepLogged, job: Fixtures.process)
        event.step = Fixtures.step(job: 2, item: 3, sequence: 16)
        let line = MessageJSON.line(for: event)
        #expect(line.hasPrefix(#"{"sequence":16,"timestamp_ms":1700000001016,"time":"2023-11-14T22:13:21.016Z","kind":"STEP_LOGGED","level":"INFO""#))
        let object = try parse(line)
        #expect(object["workflow_id"] as? String == "wf-0H5N3Q8T2ZK1")
        #expect(object["job_name"] as? String == "Process")
        #expect(object["job_position"] as? Int == 1)
        let step = try #require(object["step"] as? [String: Any])
        #expect((step["entity"] as? [String: Any])?["tag"] as? String == "ITEM-2-3")
        #expect(object["progress"] == nil)
        #expect(object["error"] == nil)
    }

    @Test func aFailureEventCarriesStatusStatsAndError() throws {
        let failed = try #require(Fixtures.failureEvents.last)
        let object = try parse(MessageJSON.line(for: failed))
        #expect(object["kind"] as? String == "WORKFLOW_FAILED")
        #expect(object["workflow_status"] as? String == "FAILED")
        #expect(object["error"] as? String == "Simulated failure")
        let stats = try #require(object["stats"] as? [String: Any])
        #expect(stats["duration_ms"] as? Int == 1_020)
        #expect((stats["counters"] as? [String: Any])?["itemsFailed"] as? Int == 1)
    }

    @Test func controlCharactersAreEscapedNeverWrittenRaw() throws {
        var event = Fixtures.event(1, .stepLogged)
        event.message = "line\nbreak \u{1B}[31mred\u{7F} \"quoted\" back\\slash é"
        let line = MessageJSON.line(for: event)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        #expect(try parse(line)["message"] as? String == event.message)
    }

    @Test func unknownEnumValuesPrintAsTheirNumber() throws {
        let event = WorkflowV1.LogEvent(sequence: 1, kind: WorkflowV1.LogEventKind(rawValue: 99), level: .warn)
        #expect(try parse(MessageJSON.line(for: event))["kind"] as? String == "99")
    }

    @Test func aWorkflowTreeHasJobsStepsAndCounts() throws {
        let object = try parse(MessageJSON.line(for: Fixtures.runningWorkflow))
        #expect(object["status"] as? String == "RUNNING")
        #expect((object["params"] as? [String: String])?["jobs"] == "3")
        let jobs = try #require(object["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["name"] as? String } == ["Fetch", "Process", "Validate"])
        #expect(jobs.map { $0["step_count"] as? Int } == [4, 2, 0])
        #expect((jobs[0]["steps"] as? [Any])?.count == 4)
        #expect((jobs[0]["failed_attempts"] as? [Any])?.isEmpty == true)
        #expect(jobs[0]["next_attempt_at_ms"] == nil)
    }

    @Test func aJobsFailedAttemptsAndItsNextAttemptArePrinted() throws {
        var workflow = Fixtures.runningWorkflow
        workflow.jobs[1].failedAttempts = [
            WorkflowV1.JobAttempt(attempt: 1, outcome: .timedOut, startedAtMs: 5, finishedAtMs: 9, error: "slow", errorCode: "TIMEOUT", stack: "here"),
        ]
        workflow.jobs[1].nextAttemptAtMs = 1_700_000_000_000
        workflow.deadlineAtMs = 1_700_000_360_000
        let object = try parse(MessageJSON.line(for: workflow))
        #expect(object["deadline_at_ms"] as? Int == 1_700_000_360_000)
        let job = try #require((object["jobs"] as? [[String: Any]])?[1])
        #expect(job["next_attempt_at_ms"] as? Int == 1_700_000_000_000)
        let attempt = try #require((job["failed_attempts"] as? [[String: Any]])?.first)
        #expect(attempt["attempt"] as? Int == 1)
        #expect(attempt["outcome"] as? String == "TIMED_OUT")
        #expect(attempt["error_code"] as? String == "TIMEOUT")
        #expect(attempt["error"] as? String == "slow")
        #expect(attempt["started_at_ms"] as? Int == 5 && attempt["finished_at_ms"] as? Int == 9)
    }
}
