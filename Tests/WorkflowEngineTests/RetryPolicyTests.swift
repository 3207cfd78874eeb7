import Testing
@testable import WorkflowEngine

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("waits grow by the multiplier up to the maximum; jitter spreads them evenly around the exact wait")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 10, initialBackoff: .milliseconds(100), backoffMultiplier: 3, maxBackoff: .seconds(2), jitter: 0.5)
        #expect(policy.backoff(afterAttempt: 1, random: 0.5) == .milliseconds(100))
        #expect(policy.backoff(afterAttempt: 2, random: 0.5) == .milliseconds(300))
        #expect(policy.backoff(afterAttempt: 3, random: 0.5) == .milliseconds(900))
        #expect(policy.backoff(afterAttempt: 4, random: 0.5) == .seconds(2))
        #expect(policy.backoff(afterAttempt: 500, random: 0.5) == .seconds(2))
        #expect(policy.backoff(afterAttempt: 1, random: 0) == .milliseconds(50))
        #expect(policy.backoff(afterAttempt: 1, random: 1) == .milliseconds(150))
    }

    @Test("out-of-range settings are clamped")
    func clamped() {
        let policy = RetryPolicy(maxAttempts: 0, initialBackoff: .seconds(-1), backoffMultiplier: .nan, maxBackoff: .zero, jitter: 7)
        #expect(policy.maxAttempts == 1)
        #expect(policy.initialBackoff == .zero)
        #expect(policy.backoffMultiplier == 1)
        #expect(policy.jitter == 1)
        #expect(policy.backoff(afterAttempt: 3, random: 1) == .zero)
    }

    @Test("a job retries while attempts are left and the error is retryable and its code allowed")
    func retries() {
        let policy = RetryPolicy(maxAttempts: 3, nonRetryableCodes: ["TIMEOUT"])
        let error = JobFailureDescription(message: "reset", code: "ERROR", stack: "", isRetryable: true)
        #expect(policy.retries(afterAttempts: 1, failure: error))
        #expect(policy.retries(afterAttempts: 2, failure: error))
        #expect(!policy.retries(afterAttempts: 3, failure: error))
        var timeout = error
        timeout.code = "TIMEOUT"
        #expect(!policy.retries(afterAttempts: 1, failure: timeout))
        var invalid = error
        invalid.isRetryable = false
        #expect(!policy.retries(afterAttempts: 1, failure: invalid))
        #expect(!RetryPolicy.noRetries.retries(afterAttempts: 1, failure: error))
    }

    @Test("errors are described by their JobFailure conformance; an EngineError is never retried")
    func descriptions() {
        let thrown = JobFailureDescription(JobError("bad row", code: "VALIDATION", isRetryable: false))
        #expect(thrown.message == "bad row" && thrown.code == "VALIDATION" && !thrown.isRetryable)
        #expect(thrown.stack.contains("RetryPolicyTests.swift"))
        struct Plain: Error {}
        let plain = JobFailureDescription(Plain())
        #expect(plain.code == "ERROR" && plain.isRetryable && plain.stack.contains("Plain"))
        let misuse = JobFailureDescription(EngineError.invalidArgument(field: "progress", reason: "must be from 0 to 1"))
        #expect(misuse.code == "INVALID_ARGUMENT" && !misuse.isRetryable)
    }
}
