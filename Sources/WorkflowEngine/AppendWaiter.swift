/// A registration made by ``EventLog/notifyOnAppend(after:_:)``; pass it to
/// ``EventLog/cancel(_:)`` when the watcher goes away before it fired.
public struct AppendWaiter: Sendable, Hashable {
    let id: UInt64
}
