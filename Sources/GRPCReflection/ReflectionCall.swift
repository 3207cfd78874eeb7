import MessageRuntime
import RPCCore
import Synchronization

/// One `ServerReflectionInfo` stream: answers each request as it arrives, in order, and ends
/// OK after the client's end.
final class ReflectionCall: RequestStreamHandler {
    private struct State {
        var responses: [[UInt8]] = []
        var ended = false
    }

    private let service: ReflectionService
    private let waker: StreamWaker
    private let state = Mutex(State())

    init(service: ReflectionService, waker: StreamWaker) {
        self.service = service
        self.waker = waker
    }

    func receive(_ message: [UInt8]) throws(RPCStatus) {
        let request = try ReflectionV1Alpha.ServerReflectionRequest(request: message)
        let response = service.respond(to: request).serializedBytes()
        state.withLock { $0.responses.append(response) }
        waker()
    }

    func requestsEnded() {
        state.withLock { $0.ended = true }
        waker()
    }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        state.withLock { state in
            for response in state.responses { output.append(message: response) }
            state.responses.removeAll()
            return state.ended ? .finished(.ok) : .pending
        }
    }

    func cancel() {
        state.withLock { $0.responses.removeAll() }
    }
}
