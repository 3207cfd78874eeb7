import Testing
@testable import WorkflowStore

@Suite("CheckpointPace")
struct CheckpointPaceTests {
    private static let limit = 32 << 20

    @Test("rounds keep the interval while commits fill the WAL at up to half its limit per interval, or none come")
    func usualInterval() {
        var pace = CheckpointPace(interval: .milliseconds(500), walSizeLimit: Self.limit)
        #expect(pace.next(walBytes: Self.limit / 2, sawCommits: true) == .milliseconds(500))
        #expect(pace.next(walBytes: 1 << 20, sawCommits: true) == .milliseconds(500))
        // An idle WAL keeps its frames until the next commit: they say nothing about the rate.
        #expect(pace.next(walBytes: Self.limit, sawCommits: false) == .milliseconds(500))
    }

    @Test("a quarter of the interval while commits fill more than half the limit per interval, judged by rate, not by one round's bytes")
    func quarterWhileFillingFast() {
        var pace = CheckpointPace(interval: .milliseconds(500), walSizeLimit: Self.limit)
        #expect(pace.next(walBytes: Self.limit / 2 + 1, sawCommits: true) == .milliseconds(125))
        // The same rate fills a quarter as much in a quarter round: rounds stay fast.
        #expect(pace.next(walBytes: Self.limit / 8 + 1, sawCommits: true) == .milliseconds(125))
        // Slower writes, or none: back to the interval.
        #expect(pace.next(walBytes: Self.limit / 8, sawCommits: true) == .milliseconds(500))
        #expect(pace.next(walBytes: Self.limit, sawCommits: true) == .milliseconds(125))
        #expect(pace.next(walBytes: Self.limit, sawCommits: false) == .milliseconds(500))
    }

    @Test("the interval is at least a millisecond, and its quarter exact")
    func smallestInterval() {
        var pace = CheckpointPace(interval: .zero, walSizeLimit: 0)
        #expect(pace.interval == .milliseconds(1))
        #expect(pace.next(walBytes: 0, sawCommits: true) == .milliseconds(1))
        #expect(pace.next(walBytes: 1, sawCommits: true) == .microseconds(250))
    }
}
