/// A registration made by ``EventLog/notifyOnAppend(after:_:)``; pass it to
/// ``EventLog/cancel(_:)`` when the watcher goes away before it fired.
package struct AppendWaiter: Sendable, Hashable {
    let id: UInt64
}
