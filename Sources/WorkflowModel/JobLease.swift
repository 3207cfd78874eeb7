/// The lease of a remote job's current or last attempt: what the server needs to fence the
/// reports of the workers that run it, kept with the job so it survives a restart.
public struct JobLease: Sendable, Hashable {
    /// Unique among every lease the server ever granted, across restarts: the sequence of the
    /// `jobStarted` event of the attempt.
    public var epoch: UInt64
    /// The newest report of the lease the server applied (reports are numbered 1, 2, … per
    /// lease); a report numbered up to this one is a repeat.
    public var acceptedReports: UInt64

    /// Creates a lease.
    public init(epoch: UInt64, acceptedReports: UInt64 = 0) {
        self.epoch = epoch
        self.acceptedReports = acceptedReports
    }
}
