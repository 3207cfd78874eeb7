import WorkflowEngine

/// The arguments of a remote job's configuration line, `Job Name = remote queue=NAME …`: the
/// queue its attempts wait in and its lease's timeouts (the retry and timeout keys of
/// ``PolicyArguments`` apply as on any job line).
///
/// | key | meaning | value |
/// | --- | --- | --- |
/// | `queue` | the queue workers serve it from; required | letters, digits, `.`, `_`, `-` |
/// | `heartbeat` | the lease's heartbeat timeout | a duration of at least 1s; 30s by default |
/// | `schedule_timeout` | how long an attempt may wait for a worker | a duration; none by default |
///
/// ```swift
/// var arguments = ["queue": "import", "heartbeat": "5s"]
/// let remote = try RemoteArguments.take(from: &arguments)   // arguments == [:]
/// ```
enum RemoteArguments {
    /// The keys a remote job line takes besides the job keys of ``PolicyArguments``.
    static let keys = ["queue", "heartbeat", "schedule_timeout"]
    /// The shortest heartbeat timeout: workers heartbeat at least once a second (more often for
    /// shorter timeouts), so a shorter one would expire leases of healthy workers.
    static let shortestHeartbeat = Duration.seconds(1)

    /// Takes the remote keys out of `arguments` and checks them.
    ///
    /// - Throws: ``DeclarationLineError`` for a missing or bad queue or a bad duration.
    static func take(from arguments: inout [String: String]) throws(DeclarationLineError) -> RemoteJob {
        let queue = try PolicyArguments.take("queue", from: &arguments) { text throws(DeclarationLineError) in
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw DeclarationLineError(reason: "a queue name is letters, digits, '.', '_' and '-'")
            }
            return text
        }
        guard let queue else {
            throw DeclarationLineError(reason: "a remote job needs queue=NAME, the queue its workers serve")
        }
        let heartbeat = try PolicyArguments.take("heartbeat", from: &arguments) { text throws(DeclarationLineError) in
            let duration = try PolicyArguments.positiveDuration(text)
            guard duration >= shortestHeartbeat else {
                throw DeclarationLineError(reason: "must be at least 1s")
            }
            return duration
        }
        let scheduleTimeout = try PolicyArguments.take("schedule_timeout", from: &arguments) { text throws(DeclarationLineError) in
            try PolicyArguments.positiveDuration(text)
        }
        var remote = RemoteJob(queue: queue, scheduleToStartTimeout: scheduleTimeout)
        if let heartbeat {
            remote.heartbeatTimeout = heartbeat
        }
        return remote
    }
}
