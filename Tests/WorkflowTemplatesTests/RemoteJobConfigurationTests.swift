import Testing
import WorkflowEngine
@testable import WorkflowTemplates

@Suite("Remote jobs in a templates file")
struct RemoteJobConfigurationTests {
    @Test("'remote queue=NAME' declares a job a worker runs, with its lease timeouts and the usual retry and timeout keys; built-in and remote jobs mix")
    func remoteLine() throws {
        let configuration = try TemplateConfiguration.parse("""
            [REMOTE_IMPORT] retries=1 timeout=10m
            Fetch        = wait wait_ms=1
            Process Data = remote queue=import heartbeat=5s schedule_timeout=1m retries=3 timeout=2m
            Export       = remote queue=export.v2
            """, file: "t.conf")
        let jobs = configuration.declarations[0].jobs
        #expect(jobs.map(\.remote) == [
            nil,
            RemoteJob(queue: "import", heartbeatTimeout: .seconds(5), scheduleToStartTimeout: .seconds(60)),
            RemoteJob(queue: "export.v2"),
        ])
        #expect(jobs[1].retryPolicy.maxAttempts == 4 && jobs[1].timeout == .seconds(120))
        #expect(jobs[2].retryPolicy.maxAttempts == 2 && jobs[2].timeout == .seconds(600))
        let environment = try TemplateEnvironment.temporary()
        let definitions = configuration.declarations[0].makeTemplate(catalog: configuration.catalog, environment: environment).makeJobs([:])
        #expect(definitions.map(\.queue) == [nil, "import", "export.v2"])
    }

    @Test("A bad remote line is refused with the line and reason", arguments: [
        ("[A]\nx = remote", "t.conf:2: job \"x\": a remote job needs queue=NAME, the queue its workers serve"),
        ("[A]\nx = remote queue=", "t.conf:2: job \"x\": queue=: a queue name is letters, digits, '.', '_' and '-'"),
        ("[A]\nx = remote queue=a/b", "t.conf:2: job \"x\": queue=a/b: a queue name is letters, digits, '.', '_' and '-'"),
        ("[A]\nx = remote queue=q heartbeat=900ms", "t.conf:2: job \"x\": heartbeat=900ms: must be at least 1s"),
        ("[A]\nx = remote queue=q heartbeat=5", "t.conf:2: job \"x\": heartbeat=5: a duration needs a unit: ms, s, m or h, e.g. 5s"),
        ("[A]\nx = remote queue=q schedule_timeout=0s", "t.conf:2: job \"x\": schedule_timeout=0s: must be longer than 0"),
        ("[A]\nx = remote queue=q file_path=a.csv", "t.conf:2: job \"x\": unknown key \"file_path\"; a remote job takes queue, heartbeat, schedule_timeout, retries, backoff, backoff_multiplier, max_backoff, jitter, no_retry, timeout"),
        ("[A]\nx = remote queue=q deadline=1h", "t.conf:2: job \"x\": deadline applies to the whole workflow: put it on the [TYPE] header"),
    ])
    func badRemoteLines(text: String, expected: String) {
        do {
            _ = try TemplateConfiguration.parse(text, file: "t.conf")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == expected)
        }
    }
}
