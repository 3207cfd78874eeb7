import NIOCore

extension EventLoop {
    /// Runs `task` on this event loop: at once when called on it, else as a task queued on it.
    ///
    /// Completions that handlers deliver from any thread (a unary answer, a stream's wake-up)
    /// come through here, so an answer given on the connection's own thread costs no extra
    /// loop turn.
    ///
    /// - Parameter task: The work; it runs on this loop either way.
    func runOnLoop(_ task: @escaping @Sendable () -> Void) {
        if inEventLoop {
            task()
        } else {
            execute(task)
        }
    }
}
