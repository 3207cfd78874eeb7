extension TestTemplate {
    /// The validated parameters of a `TEST` workflow.
    struct Configuration: Sendable, Hashable {
        var jobs = 3
        var steps = 3
        var stepDelayMs = 10
        /// 1-based position of the job that fails, if any.
        var failJob: Int?
        var failMessage = "Simulated failure"

        init() {}

        /// Parses and checks `params`.
        ///
        /// - Throws: ``EngineError/Code/invalidArgument`` naming the first bad parameter.
        init(params: [String: String]) throws(EngineError) {
            jobs = try Self.integer(params, "jobs", in: 1...100) ?? jobs
            steps = try Self.integer(params, "steps", in: 0...100_000) ?? steps
            stepDelayMs = try Self.integer(params, "step_delay_ms", in: 0...60_000) ?? stepDelayMs
            failJob = try Self.integer(params, "fail_job", in: 1...jobs)
            if let message = params["fail_message"], !message.isEmpty {
                failMessage = message
            }
        }

        private static func integer(
            _ params: [String: String],
            _ name: String,
            in range: ClosedRange<Int>
        ) throws(EngineError) -> Int? {
            guard let text = params[name] else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw .invalidArgument(
                    field: "params.\(name)",
                    reason: "must be an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text)\""
                )
            }
            return value
        }
    }
}
