import NIOCore
import RPCCore
import Synchronization

/// Calls the methods of an ``RPCRouter`` from async code: each call runs on the event loop
/// that the router's handlers expect (the one that runs the engine), exactly as a gRPC call
/// would, so JSON callers get the same validation, answers and statuses.
struct RouterCaller: Sendable {
    let router: RPCRouter
    let loop: any EventLoop

    /// Calls the unary method at `path` with a serialized request.
    func unary(_ path: String, request: [UInt8], credentials: CallCredentials) async -> Result<[UInt8], RPCStatus> {
        guard case .unary(let call)? = router.handler(forPath: path) else {
            return .failure(RPCStatus(code: .unimplemented, message: "Method not found: \(path)"))
        }
        let context = credentials.context(path: path)
        return await withCheckedContinuation { continuation in
            // Resumed once: a second answer is ignored, as the transport ignores it.
            let answered = Mutex(false)
            let respond = { @Sendable (result: Result<[UInt8], RPCStatus>) in
                let isFirst = answered.withLock { answered in
                    defer { answered = true }
                    return !answered
                }
                if isFirst {
                    continuation.resume(returning: result)
                }
            }
            let submitted = loop.submit { call(request, context, UnaryResponder(respond)) }
            submitted.whenFailure { _ in respond(.failure(RPCStatus(code: .unavailable, message: "the server is shutting down"))) }
        }
    }

    /// Starts the server-streaming method at `path`; its producer is then pulled with
    /// ``produce(_:budget:)`` and wakes `waker` when it has more.
    func openStream(_ path: String, request: [UInt8], credentials: CallCredentials, waker: StreamWaker) async -> Result<any ServerStreamProducer, RPCStatus> {
        guard case .serverStreaming(let start)? = router.handler(forPath: path) else {
            return .failure(RPCStatus(code: .unimplemented, message: "Method not found: \(path)"))
        }
        let context = credentials.context(path: path)
        return await onLoop { () throws(RPCStatus) in try start(request, context, waker) }
    }

    /// Starts the client-streaming (or bidirectional) method at `path`; its request messages
    /// then go in with ``send(_:to:)`` and ``endRequests(of:)``, its responses come out with
    /// ``produce(_:budget:)``.
    func openRequestStream(_ path: String, credentials: CallCredentials, waker: StreamWaker) async -> Result<any RequestStreamHandler, RPCStatus> {
        guard case .bidirectionalStreaming(let start)? = router.handler(forPath: path) else {
            return .failure(RPCStatus(code: .unimplemented, message: "Method not found: \(path)"))
        }
        let context = credentials.context(path: path)
        return await onLoop { () throws(RPCStatus) in try start(context, waker) }
    }

    /// Asks `producer` for about `budget` bytes of framed messages, on the loop.
    func produce(_ producer: any ServerStreamProducer, budget: Int) async throws -> (bytes: [UInt8], production: StreamProduction) {
        try await loop.submit {
            var output = StreamOutput(budget: budget)
            let production = producer.produce(into: &output)
            return (output.bytes, production)
        }.get()
    }

    /// Runs `open` on the loop; UNAVAILABLE when the loop no longer takes work (shutdown).
    private func onLoop<T: Sendable>(_ open: @escaping @Sendable () throws(RPCStatus) -> T) async -> Result<T, RPCStatus> {
        let opened = loop.submit { () -> Result<T, RPCStatus> in
            do throws(RPCStatus) {
                return .success(try open())
            } catch {
                return .failure(error)
            }
        }
        do {
            return try await opened.get()
        } catch {
            return .failure(RPCStatus(code: .unavailable, message: "the server is shutting down"))
        }
    }

    /// Hands one request message to `handler`, on the loop.
    /// - Returns: The status that ends the call, if the handler refused the message.
    func send(_ message: [UInt8], to handler: any RequestStreamHandler) async -> RPCStatus? {
        do {
            return try await loop.submit { () -> RPCStatus? in
                do throws(RPCStatus) {
                    try handler.receive(message)
                    return nil
                } catch {
                    return error
                }
            }.get()
        } catch {
            return RPCStatus(code: .unavailable, message: "the server is shutting down")
        }
    }

    /// Tells `handler` no more request messages follow, on the loop.
    func endRequests(of handler: any RequestStreamHandler) async {
        try? await loop.submit { handler.requestsEnded() }.get()
    }

    /// Tells `producer` its stream ended early.
    func cancel(_ producer: any ServerStreamProducer) {
        loop.execute { producer.cancel() }
    }
}
