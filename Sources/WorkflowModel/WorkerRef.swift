/// A worker process, as named in jobs, attempts and events: a service that runs remote jobs.
public struct WorkerRef: Sendable, Hashable, CustomStringConvertible {
    /// What the worker is, e.g. "python-importer"; several processes may share it.
    public var name: String
    /// Which process: unique per running worker, kept across its reconnects.
    public var instanceID: String

    /// Creates a worker reference.
    public init(name: String, instanceID: String) {
        self.name = name
        self.instanceID = instanceID
    }

    /// "python-importer (host-1-4242)".
    public var description: String { "\(name) (\(instanceID))" }
}
