import Foundation
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowTemplates

@Suite("Retry policies, timeouts and deadlines of templates")
struct TemplatePolicyTests {
    /// The documented product default, spelled out.
    static let productPolicy = RetryPolicy(
        maxAttempts: 3, initialBackoff: .seconds(1), backoffMultiplier: 2, maxBackoff: .seconds(60), jitter: 0.2,
        nonRetryableCodes: ["VALIDATION"]
    )

    @Test("The product templates' jobs get 3 attempts (1 s, 2 s ±20 %, VALIDATION never retried), 30 minutes each, no deadline")
    func productDefaults() throws {
        let registry = ProductTemplates.standardRegistry(environment: try TemplateEnvironment.temporary())
        let cases: [(type: String, params: [String: String], jobs: Int)] = [
            ("IMPORT_ASSETS", ["file_path": "a.csv"], 4),
            ("RULE_EXECUTION", ["rules_path": "rules.conf"], 3),
            ("EXPORT_PACKAGE", ["output_dir": "/tmp"], 3),
        ]
        for (type, params, count) in cases {
            let template = try #require(registry.template(for: type))
            let jobs = template.makeJobs(params)
            #expect(jobs.count == count)
            for job in jobs {
                #expect(job.retryPolicy == Self.productPolicy, "\(type) \(job.name)")
                #expect(job.timeout == .seconds(30 * 60), "\(type) \(job.name)")
            }
            #expect(template.deadline(params) == nil)
        }
        #expect(ProductTemplates.retryPolicy == Self.productPolicy)
        #expect(RetryPolicy.standard.maxAttempts == 3 && RetryPolicy.standard.jitter == 0.2)
    }

    @Test("A header sets its jobs' defaults and the deadline; a job's keys win; unset values are the product default")
    func headerDefaultsAndJobOverrides() throws {
        let configuration = try TemplateConfiguration.parse("""
            [PLAIN]
            Pause = wait

            [TUNED] retries=2 backoff=500ms max_backoff=1m backoff_multiplier=3 jitter=0.1 timeout=10m deadline=1h no_retry=TIMEOUT,VALIDATION
            Fetch   = import.fetch file_path=a.csv retries=4 timeout=30s
            Process = import.process
            Pause   = wait wait_ms=5 backoff=250ms max_backoff=2s backoff_multiplier=1.5 jitter=0 no_retry=""

            [AFTER] timeout=45s
            Pause = wait
            """, file: "t.conf")
        let environment = try TemplateEnvironment.temporary()
        let registry = TemplateRegistry(configuration.declarations.map {
            $0.makeTemplate(catalog: configuration.catalog, environment: environment)
        })

        let plain = try #require(registry.template(for: "PLAIN"))
        #expect(plain.makeJobs([:]).map(\.retryPolicy) == [Self.productPolicy])
        #expect(plain.makeJobs([:]).map(\.timeout) == [.seconds(1800)])
        #expect(plain.deadline([:]) == nil)

        let tuned = try #require(registry.template(for: "TUNED"))
        let jobs = tuned.makeJobs([:])
        #expect(jobs.map(\.retryPolicy) == [
            RetryPolicy(
                maxAttempts: 5, initialBackoff: .milliseconds(500), backoffMultiplier: 3, maxBackoff: .seconds(60),
                jitter: 0.1, nonRetryableCodes: ["TIMEOUT", "VALIDATION"]
            ),
            RetryPolicy(
                maxAttempts: 3, initialBackoff: .milliseconds(500), backoffMultiplier: 3, maxBackoff: .seconds(60),
                jitter: 0.1, nonRetryableCodes: ["TIMEOUT", "VALIDATION"]
            ),
            RetryPolicy(
                maxAttempts: 3, initialBackoff: .milliseconds(250), backoffMultiplier: 1.5, maxBackoff: .seconds(2),
                jitter: 0, nonRetryableCodes: []
            ),
        ])
        #expect(jobs.map(\.timeout) == [.seconds(30), .seconds(600), .seconds(600)])
        #expect(tuned.deadline([:]) == .seconds(3600))

        let declared = configuration.declarations[1].jobs
        #expect(declared.map(\.params) == [["file_path": "a.csv"], [:], ["wait_ms": "5"]], "the policy keys are no parameters")
        #expect(declared.map(\.line) == [5, 6, 7])

        let after = try #require(registry.template(for: "AFTER"))
        #expect(after.makeJobs([:]).map(\.retryPolicy) == [Self.productPolicy], "an earlier header's defaults do not carry over")
        #expect(after.makeJobs([:]).map(\.timeout) == [.seconds(45)])
        #expect(after.deadline([:]) == nil)
    }

    @Test("Bad retry, timeout and deadline keys are refused with the line and reason", arguments: [
        ("[A] retries=two\nx = wait", "t.conf:1: type A: retries=two: must be a whole number from 0 to 100"),
        ("[A] retries=101\nx = wait", "t.conf:1: type A: retries=101: must be a whole number from 0 to 100"),
        ("[A] timeout=1m\nx = wait\ny = wait retries=-1", "t.conf:3: job \"y\": retries=-1: must be a whole number from 0 to 100"),
        ("[A]\nx = wait timeout=30", "t.conf:2: job \"x\": timeout=30: a duration needs a unit: ms, s, m or h, e.g. 30s"),
        ("[A]\nx = wait timeout=30d", "t.conf:2: job \"x\": timeout=30d: unknown unit \"d\"; durations take ms, s, m or h, e.g. 250ms, 30s, 10m, 1h"),
        ("[A]\nx = wait timeout=0s", "t.conf:2: job \"x\": timeout=0s: must be longer than 0"),
        ("[A]\nx = wait timeout=", "t.conf:2: job \"x\": timeout=: expected a whole number with a unit, e.g. 250ms, 30s, 10m, 1h"),
        ("[A]\nx = wait backoff=1.5s", "t.conf:2: job \"x\": backoff=1.5s: expected a whole number with a unit, e.g. 250ms, 30s, 10m, 1h"),
        ("[A]\nx = wait backoff=soon", "t.conf:2: job \"x\": backoff=soon: expected a whole number with a unit, e.g. 250ms, 30s, 10m, 1h"),
        ("[A] deadline=99999999999999999999h\nx = wait", "t.conf:1: type A: deadline=99999999999999999999h: is too long"),
        ("[A] deadline=0ms\nx = wait", "t.conf:1: type A: deadline=0ms: must be longer than 0"),
        ("[A] jitter=1.5\nx = wait", "t.conf:1: type A: jitter=1.5: must be a number from 0 to 1"),
        ("[A] backoff_multiplier=0.5\nx = wait", "t.conf:1: type A: backoff_multiplier=0.5: must be a number from 1 to 100"),
        ("[A] no_retry=timeout\nx = wait", "t.conf:1: type A: no_retry=timeout: \"timeout\" is not an error code: codes are UPPER_SNAKE_CASE, comma-separated, e.g. TIMEOUT,VALIDATION"),
        ("[A] no_retry=TIMEOUT,,IO\nx = wait", "t.conf:1: type A: no_retry=TIMEOUT,,IO: \"\" is not an error code: codes are UPPER_SNAKE_CASE, comma-separated, e.g. TIMEOUT,VALIDATION"),
        ("[A] backoff=2m\nx = wait", "t.conf:1: type A: max_backoff 1m is shorter than backoff 2m"),
        ("[A]\nx = wait max_backoff=10ms", "t.conf:2: job \"x\": max_backoff 10ms is shorter than backoff 1s"),
        ("[A]\nx = wait deadline=1h", "t.conf:2: job \"x\": deadline applies to the whole workflow: put it on the [TYPE] header"),
        ("[A] wait_ms=5\nx = wait", "t.conf:1: type A: unknown key \"wait_ms\"; a [TYPE] header takes retries, backoff, backoff_multiplier, max_backoff, jitter, no_retry, timeout, deadline"),
        ("[A] retries=1 retries=2\nx = wait", "t.conf:1: \"retries\" is given twice"),
        ("[A] retries\nx = wait", "t.conf:1: expected key=value, got \"retries\""),
        ("[A]retries=1\nx = wait", "t.conf:1: expected a blank after [A]"),
        ("[] retries=1\nx = wait", "t.conf:1: a section header is [NAME] key=value …"),
    ])
    func badPolicyKeys(text: String, expected: String) {
        do {
            _ = try TemplateConfiguration.parse(text, file: "t.conf")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test("Header arguments are parsed only where the reader opts in; the rules file refuses them")
    func sectionArgumentsAreOptIn() throws {
        let text = "[A] retries=2 no_retry=\"TIMEOUT, VALIDATION\"\n"
        let lines = try DeclarationLine.parse(text, file: "t.conf", allowingSectionArguments: true)
        #expect(lines == [DeclarationLine(line: 1, content: .section(name: "A", arguments: ["retries": "2", "no_retry": "TIMEOUT, VALIDATION"]))])
        #expect(try DeclarationLine.parse("[ A ]", file: "t.conf") == [DeclarationLine(line: 1, content: .section(name: "A", arguments: [:]))])
        do {
            _ = try DeclarationLine.parse(text, file: "t.conf")
            Issue.record("header arguments accepted without opting in")
        } catch {
            #expect(error.description == "t.conf:1: a section header is [NAME], with nothing after the ]")
        }
        do {
            _ = try RuleFile.parse("# rules\n[RULES] retries=2\n", file: "rules.conf")
            Issue.record("the rules file accepted header arguments")
        } catch {
            #expect(error.description == "rules.conf:2: a section header is [NAME], with nothing after the ]")
        }
        let policy = try TemplateConfiguration.parse(text + "x = wait", file: "t.conf").declarations[0].jobs[0].retryPolicy
        #expect(policy.nonRetryableCodes == ["TIMEOUT", "VALIDATION"])
    }

    @Test("Durations are written in the largest unit that divides them", arguments: [
        (Duration.milliseconds(250), "250ms"), (.seconds(30), "30s"), (.seconds(90), "90s"), (.seconds(600), "10m"),
        (.seconds(3600), "1h"), (.milliseconds(1500), "1500ms"), (.zero, "0ms"),
    ])
    func durationText(duration: Duration, text: String) {
        #expect(duration.configurationText == text)
    }

    @Test("A configured timeout cuts each attempt and the job runs again as its policy says")
    func timeoutReachesTheEngine() async throws {
        let testing = try TemplateTesting(configuration: "[SLOW] timeout=100ms retries=1 backoff=10ms\nPause = wait wait_ms=60000\n")
        let started = ContinuousClock.now
        let workflow = try await testing.run("SLOW", [:])

        #expect(workflow.status == .failed)
        #expect(workflow.jobs[0].failedAttempts.map(\.outcome) == [.timedOut, .timedOut])
        #expect(workflow.jobs[0].failedAttempts.map(\.errorCode) == ["TIMEOUT", "TIMEOUT"])
        #expect(ContinuousClock.now - started < .seconds(30), "each attempt was cut, not waited out for 60 s")
    }

    @Test("A configured deadline fails the workflow at the job it is at")
    func deadlineReachesTheEngine() async throws {
        let testing = try TemplateTesting(configuration: "[SLOW] deadline=300ms\nPause = wait wait_ms=60000\n")
        let workflow = try await testing.run("SLOW", [:])

        #expect(workflow.status == .failed)
        #expect(workflow.failedJobName == "Pause")
        #expect(workflow.jobs[0].failedAttempts.last?.errorCode == "DEADLINE_EXCEEDED")
    }
}
