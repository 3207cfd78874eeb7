import WorkflowEngine

/// Generic job functions for configured templates: `wait` and `fail`.
enum UtilityJobs {
    static let all = [wait, fail]

    /// `wait`: pauses `wait_ms` milliseconds (0–600000, default 100), checking for
    /// cancellation every 100 ms.
    static let wait = BuiltInJobFunction(
        name: "wait",
        validate: { params throws(EngineError) in
            _ = try TemplateParameters.integer(params, "wait_ms", in: 0...600_000, default: 100)
        },
        run: { run in
            let total = (try? TemplateParameters.integer(run.params, "wait_ms", in: 0...600_000, default: 100)) ?? 100
            var waited = 0
            while waited < total {
                try run.checkCancellation("after waiting \(waited) ms")
                let slice = min(100, total - waited)
                try await Task.sleep(for: .milliseconds(slice))
                waited += slice
            }
            run.context.logStep("Waited \(total) ms")
        }
    )

    /// `fail`: fails with `fail_message` (default "Failed as configured"), code `ERROR`,
    /// retryable: it fails as many attempts as the job's retry policy gives it.
    static let fail = BuiltInJobFunction(
        name: "fail",
        validate: { _ in },
        run: { run in
            let message = run.params["fail_message"].flatMap { $0.isEmpty ? nil : $0 } ?? "Failed as configured"
            run.context.logStep(message, level: .error)
            throw JobError(message)
        }
    )
}
