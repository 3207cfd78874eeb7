/// A connection that a command opens, uses and closes: ``WorkflowConnection``, or a test's
/// stand-in.
protocol ClosableConnection: Sendable {
    /// Closes the connection; closing a closed connection does nothing.
    func close() async
}

extension ClosableConnection {
    /// Opens a connection, runs `body` with it, and closes it however `body` ends.
    ///
    /// Failures reach the caller unchanged: the one from `open` (such as exit 4, the server is
    /// not reachable) without running `body`, the one from `body` after the connection is
    /// closed. `body` may hand the connection on to a watch that closes it earlier; the second
    /// close does nothing.
    ///
    /// - Parameters:
    ///   - open: Opens the connection.
    ///   - body: What to do with it.
    /// - Returns: What `body` returns.
    /// - Throws: ``CommandFailure`` from `open` or `body`.
    static func withConnection<Result>(
        opening open: () async throws(CommandFailure) -> Self,
        _ body: (Self) async throws(CommandFailure) -> Result
    ) async throws(CommandFailure) -> Result {
        let connection = try await open()
        do throws(CommandFailure) {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}
