import NIOCore
import NIOPosix

/// The event loops that serve the server's connections, and which of them runs work the
/// calling thread enqueues.
struct ConnectionLoops: Sendable {
    /// The loops, in the group's order.
    let all: [any EventLoop]
    private let ids: Set<ObjectIdentifier>

    init(_ group: any EventLoopGroup) {
        all = Array(group.makeIterator())
        ids = Set(all.map { ObjectIdentifier($0) })
    }

    /// The calling thread's loop when it is one of these, else `nil`.
    var current: (any EventLoop)? {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop, ids.contains(ObjectIdentifier(loop)) else { return nil }
        return loop
    }

    /// The calling thread's loop when it is one of these, else the first, so work enqueued from
    /// any one thread runs in the order it was enqueued, without waking another thread when it
    /// comes from a loop.
    var currentOrFirst: any EventLoop {
        all.count == 1 ? all[0] : current ?? all[0]
    }
}
