import Testing
import WorkflowCLI

@Suite struct ReconnectBackoffTests {
    @Test func firstRetryIsImmediateThenDoublesUpToTheCap() {
        let backoff = ReconnectBackoff(jitter: 0)
        let delays = (0...9).map { backoff.delay(afterFailedAttempts: $0, random: 0.5) }
        #expect(delays[0] == .zero)
        #expect(delays[1] == .milliseconds(100))
        #expect(delays[2] == .milliseconds(200))
        #expect(delays[3] == .milliseconds(400))
        #expect(delays[9] == .seconds(5))
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func jitterStaysWithinItsFraction() {
        let backoff = ReconnectBackoff(jitter: 0.2)
        #expect(backoff.delay(afterFailedAttempts: 1, random: 0) == .milliseconds(80))
        #expect(backoff.delay(afterFailedAttempts: 1, random: 0.999_999) == .milliseconds(120))
    }
}
