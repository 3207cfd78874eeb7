import EngineTestSupport
import Testing
import WorkflowModel
@testable import WorkflowEngine

extension EngineTesting {
    /// Like ``eventsUntilTerminal(of:in:timeout:sourceLocation:)`` for a log in front of a
    /// ``ManualStore``: commits what is queued every millisecond until the workflow ended.
    static func eventsUntilTerminalCommitting(
        of id: String, in log: EventLog, store: ManualStore, timeout: Duration = .seconds(30)
    ) async -> [WorkflowModel.LogEvent] {
        let committer = Task {
            while !Task.isCancelled {
                store.commitQueued()
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        defer { committer.cancel() }
        return await eventsUntilTerminal(of: id, in: log, timeout: timeout)
    }
}
