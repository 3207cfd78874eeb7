import WorkflowModel

/// The built-in `TEST` workflow, for trying the engine and its clients end to end.
///
/// Every parameter is optional; with none, the workflow runs 3 jobs of 3 steps, 10 ms apart,
/// and completes.
///
/// | param | meaning | range | default |
/// | --- | --- | --- | --- |
/// | `jobs` | number of jobs | 1...100 | 3 |
/// | `steps` | steps per job | 0...100000 | 3 |
/// | `step_delay_ms` | pause before each step, in ms | 0...60000 | 10 |
/// | `fail_job` | 1-based position of the job that fails | 1...`jobs` | none |
/// | `fail_message` | the failing job's error | any text | `Simulated failure` |
/// | `fail_attempts` | how many attempts of `fail_job` fail | 0...1000 | every attempt |
/// | `fail_retryable` | whether that error may be retried | true, false | true |
/// | `hang_job` | 1-based position of a job that hangs, ignoring cancellation | 1...`jobs` | none |
/// | `hang_attempts` | how many attempts of `hang_job` hang | 0...1000 | every attempt |
/// | `hang_ms` | how long a hang lasts, in ms | 1...86400000 | 600000 |
/// | `max_attempts` | every job's attempts, the first included | 1...1000 | 1 |
/// | `backoff_ms` | the wait before the second attempt, in ms | 0...3600000 | 100 |
/// | `backoff_multiplier` | growth of each next wait | 1...100 | 2 |
/// | `max_backoff_ms` | the longest wait, in ms | 0...3600000 | 10000 or `backoff_ms` |
/// | `jitter` | spread of each wait, as a fraction | 0...1 | 0 |
/// | `no_retry_codes` | error codes never retried, comma-separated (e.g. `TIMEOUT`) | any | none |
/// | `timeout_ms` | every job's start-to-close timeout per attempt, in ms | 1...86400000 | none |
/// | `timeout_grace_ms` | how long a cancelled attempt may take to return, in ms | 0...600000 | 5000 |
/// | `workflow_timeout_ms` | the workflow's deadline from its start, in ms | 1...86400000 | none |
///
/// Jobs are named "Fetch", "Process", "Validate", "Save", then "Job 5", "Job 6", …. Each step
/// logs "Processed item n of N" with entity tag `ITEM-<job>-<n>`, route `/items/<job>-<n>`, id
/// `<job>-<n>` and type `TestItem` (`<job>` is the 1-based job position), then updates the
/// job's progress to n/N and counts `itemsProcessed`. A failing attempt processes the first
/// half of its steps, logs an ERROR step for the next item, counts `itemsFailed` and throws a
/// ``JobError`` with `fail_message` (code `SIMULATED`). A hanging attempt logs "Hanging for
/// <hang_ms> ms" and waits that long whatever happens, then goes on as usual. Unknown
/// parameters are ignored. A bad value is refused with ``EngineError/Code/invalidArgument``
/// naming the parameter, e.g. `params.jobs`.
public enum TestTemplate {
    /// The workflow type, `TEST`.
    public static let type = "TEST"

    /// Creates the `TEST` template.
    public static func make() -> WorkflowTemplate {
        WorkflowTemplate(
            type: type,
            deadline: { params in
                // A restart asks every stored workflow's: most have none, spared a parse.
                params["workflow_timeout_ms"] == nil ? nil : (try? Configuration(params: params))?.deadline
            }
        ) { params throws(EngineError) in
            let configuration = try Configuration(params: params)
            let jobs = (0..<configuration.jobs).map { position in
                JobDefinition(
                    name: jobName(position: position),
                    retryPolicy: configuration.retryPolicy,
                    timeout: configuration.timeout,
                    cancellationGrace: configuration.cancellationGrace,
                    execution: .inline
                ) { context in
                    try await run(configuration, position: position, context: context)
                }
            }
            return WorkflowPlan(jobs: jobs, deadline: configuration.deadline)
        }
    }

    /// The name of the job at zero-based `position`.
    public static func jobName(position: Int) -> String {
        let names = ["Fetch", "Process", "Validate", "Save"]
        return position < names.count ? names[position] : "Job \(position + 1)"
    }

    private static func run(_ configuration: Configuration, position: Int, context: JobContext) async throws {
        let job = position + 1
        let total = configuration.steps
        let failing = configuration.fails(job: job, attempt: context.attempt)
        let processed = failing ? total / 2 : total
        func entity(_ item: Int) -> EntityReference {
            EntityReference(tag: "ITEM-\(job)-\(item)", route: "/items/\(job)-\(item)", id: "\(job)-\(item)", type: "TestItem")
        }
        if configuration.hangs(job: job, attempt: context.attempt) {
            context.logStep("Hanging for \(configuration.hangMs) ms", level: .warn)
            await sleepIgnoringCancellation(.milliseconds(configuration.hangMs))
        }
        for item in stride(from: 1, through: processed, by: 1) {
            if configuration.stepDelayMs > 0 {
                try await Task.sleep(for: .milliseconds(configuration.stepDelayMs))
            } else if item % stepsBetweenYields == 0 {
                // Inline, a long run of steps would hold its event loop's other connections.
                await Task.yield()
            }
            context.logStep("Processed item \(item) of \(total)", entity: entity(item))
            context.incrementStat("itemsProcessed")
            try context.updateProgress(Double(item) / Double(total), message: "Processed \(item)/\(total) items")
        }
        guard failing else { return }
        if processed < total {
            context.logStep("Failed to process item \(processed + 1) of \(total)", level: .error, entity: entity(processed + 1))
        }
        context.incrementStat("itemsFailed")
        throw JobError(configuration.failMessage, code: "SIMULATED", isRetryable: configuration.failRetryable)
    }

    /// How many steps a job with no step delay logs before it lets other work run.
    private static let stepsBetweenYields = 64

    /// Waits `duration` even when the task is cancelled: a job that does not cooperate.
    private static func sleepIgnoringCancellation(_ duration: Duration) async {
        let wait = Task.detached {
            try? await Task.sleep(for: duration)
        }
        await wait.value
    }
}
