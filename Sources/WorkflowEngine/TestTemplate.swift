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
///
/// Jobs are named "Fetch", "Process", "Validate", "Save", then "Job 5", "Job 6", …. Each step
/// logs "Processed item n of N" with entity tag `ITEM-<job>-<n>`, route `/items/<job>-<n>`, id
/// `<job>-<n>` and type `TestItem` (`<job>` is the 1-based job position), then updates the
/// job's progress to n/N and counts `itemsProcessed`. The failing job processes the first half
/// of its steps, logs an ERROR step for the next item, counts `itemsFailed` and throws a
/// ``JobError`` with `fail_message`. Unknown parameters are ignored. A bad value is refused
/// with ``EngineError/Code/invalidArgument`` naming the parameter, e.g. `params.jobs`.
public enum TestTemplate {
    /// The workflow type, `TEST`.
    public static let type = "TEST"

    /// Creates the `TEST` template.
    public static func make() -> WorkflowTemplate {
        WorkflowTemplate(
            type: type,
            validate: { params throws(EngineError) in
                _ = try Configuration(params: params)
            },
            makeJobs: { params in
                // Parameters were validated; fall back to defaults only to stay total.
                let configuration = (try? Configuration(params: params)) ?? Configuration()
                return (0..<configuration.jobs).map { position in
                    JobDefinition(name: jobName(position: position)) { context in
                        try await run(configuration, position: position, context: context)
                    }
                }
            }
        )
    }

    /// The name of the job at zero-based `position`.
    public static func jobName(position: Int) -> String {
        let names = ["Fetch", "Process", "Validate", "Save"]
        return position < names.count ? names[position] : "Job \(position + 1)"
    }

    private static func run(_ configuration: Configuration, position: Int, context: JobContext) async throws {
        let job = position + 1
        let total = configuration.steps
        let failing = configuration.failJob == job
        let processed = failing ? total / 2 : total
        func entity(_ item: Int) -> EntityReference {
            EntityReference(tag: "ITEM-\(job)-\(item)", route: "/items/\(job)-\(item)", id: "\(job)-\(item)", type: "TestItem")
        }
        for item in stride(from: 1, through: processed, by: 1) {
            if configuration.stepDelayMs > 0 {
                try await Task.sleep(for: .milliseconds(configuration.stepDelayMs))
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
        throw JobError(configuration.failMessage)
    }
}
