extension TestTemplate {
    /// The validated parameters of a `TEST` workflow.
    struct Configuration: Sendable, Hashable {
        var jobs = 3
        var steps = 3
        var stepDelayMs = 10
        /// 1-based position of the job that fails, if any.
        var failJob: Int?
        var failMessage = "Simulated failure"
        /// How many attempts of the failing job fail; `nil` for every one.
        var failAttempts: Int?
        var failRetryable = true
        /// 1-based position of the job that hangs, ignoring cancellation, if any.
        var hangJob: Int?
        /// How many attempts of the hanging job hang; `nil` for every one.
        var hangAttempts: Int?
        var hangMs = 600_000
        var retryPolicy = RetryPolicy.noRetries
        var timeout: Duration?
        var cancellationGrace = Duration.seconds(5)
        var deadline: Duration?

        /// Parses and checks `params`.
        ///
        /// - Throws: ``EngineError/Code/invalidArgument`` naming the first bad parameter.
        init(params: [String: String]) throws(EngineError) {
            var reader = ParameterReader(params)
            jobs = try reader.integer("jobs", in: 1...100) ?? jobs
            steps = try reader.integer("steps", in: 0...100_000) ?? steps
            stepDelayMs = try reader.integer("step_delay_ms", in: 0...60_000) ?? stepDelayMs
            failJob = try reader.integer("fail_job", in: 1...jobs)
            if let message = reader.text("fail_message"), !message.isEmpty {
                failMessage = message
            }
            failAttempts = try reader.integer("fail_attempts", in: 0...1_000)
            failRetryable = try reader.boolean("fail_retryable") ?? failRetryable
            hangJob = try reader.integer("hang_job", in: 1...jobs)
            hangAttempts = try reader.integer("hang_attempts", in: 0...1_000)
            hangMs = try reader.integer("hang_ms", in: 1...86_400_000) ?? hangMs
            let maxAttempts = try reader.integer("max_attempts", in: 1...1_000) ?? 1
            let backoffMs = try reader.integer("backoff_ms", in: 0...3_600_000) ?? 100
            let multiplier = try reader.number("backoff_multiplier", in: 1...100) ?? 2
            let maxBackoffMs = try reader.integer("max_backoff_ms", in: 0...3_600_000) ?? max(backoffMs, 10_000)
            let jitter = try reader.number("jitter", in: 0...1) ?? 0
            var noRetryCodes: Set<JobErrorCode> = []
            for part in reader.text("no_retry_codes")?.split(separator: ",") ?? [] {
                let code = String(part.filter { !$0.isWhitespace })
                if !code.isEmpty { noRetryCodes.insert(JobErrorCode(code)) }
            }
            retryPolicy = RetryPolicy(
                maxAttempts: maxAttempts, initialBackoff: .milliseconds(backoffMs), backoffMultiplier: multiplier,
                maxBackoff: .milliseconds(maxBackoffMs), jitter: jitter, nonRetryableCodes: noRetryCodes
            )
            timeout = try reader.integer("timeout_ms", in: 1...86_400_000).map { .milliseconds($0) }
            cancellationGrace = try reader.integer("timeout_grace_ms", in: 0...600_000).map { .milliseconds($0) } ?? cancellationGrace
            deadline = try reader.integer("workflow_timeout_ms", in: 1...86_400_000).map { .milliseconds($0) }
        }

        /// Whether attempt `attempt` of the job at 1-based `job` fails.
        func fails(job: Int, attempt: Int) -> Bool {
            failJob == job && failAttempts.map { attempt <= $0 } ?? true
        }

        /// Whether attempt `attempt` of the job at 1-based `job` hangs.
        func hangs(job: Int, attempt: Int) -> Bool {
            hangJob == job && hangAttempts.map { attempt <= $0 } ?? true
        }
    }

    /// Reads named parameters, and stops looking once every given parameter was read: a
    /// request that gives three parameters costs three lookups, not one per known name.
    private struct ParameterReader {
        private let params: [String: String]
        private var unread: Int

        init(_ params: [String: String]) {
            self.params = params
            self.unread = params.count
        }

        mutating func text(_ name: String) -> String? {
            guard unread > 0, let text = params[name] else { return nil }
            unread -= 1
            return text
        }

        mutating func integer(_ name: String, in range: ClosedRange<Int>) throws(EngineError) -> Int? {
            try value(name, in: range, described: "an integer")
        }

        mutating func number(_ name: String, in range: ClosedRange<Double>) throws(EngineError) -> Double? {
            try value(name, in: range, described: "a number")
        }

        private mutating func value<Value: LosslessStringConvertible & Comparable>(
            _ name: String,
            in range: ClosedRange<Value>,
            described kind: String
        ) throws(EngineError) -> Value? {
            guard let text = text(name) else { return nil }
            guard let value = Value(text), range.contains(value) else {
                throw .invalidArgument(
                    field: "params.\(name)",
                    reason: "must be \(kind) from \(range.lowerBound) to \(range.upperBound), got \"\(text)\""
                )
            }
            return value
        }

        mutating func boolean(_ name: String) throws(EngineError) -> Bool? {
            guard let text = text(name) else { return nil }
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default:
                throw .invalidArgument(field: "params.\(name)", reason: "must be true or false, got \"\(text)\"")
            }
        }
    }
}
