import Dispatch

/// Where the service reads the store, off the event loop: a watcher's events older than memory,
/// and the steps of a workflow that finished a while ago. A read may wait on the disk; the
/// event loop never does.
enum StoreReads {
    /// The queue the reads run on, concurrently.
    static let queue = DispatchQueue(label: "workflow.store-reads", qos: .userInitiated, attributes: .concurrent)
}
