@testable import HTTP2Transport
import HeaderFields
import RPCCore
import Synchronization

/// A producer that hands out scripted productions, one per `produce`, and records `cancel`.
final class ScriptedProducer: RequestStreamHandler {
    private struct State {
        var script: [(messages: [[UInt8]], production: StreamProduction)]
        var received: [[UInt8]] = []
        var requestsEnded = false
        var cancelled = false
        var produceCalls = 0
        var rejectAfter: Int?
        var wakeInside: (() -> Void)?
    }

    private let state: Mutex<State>

    /// Produces `script` in order; once it is used up, `.pending`.
    init(_ script: [(messages: [[UInt8]], production: StreamProduction)] = [], rejectingAfter rejectAfter: Int? = nil) {
        state = Mutex(State(script: script, rejectAfter: rejectAfter))
    }

    var cancelled: Bool { state.withLock { $0.cancelled } }
    var received: [[UInt8]] { state.withLock { $0.received } }
    var sawEnd: Bool { state.withLock { $0.requestsEnded } }
    var produceCalls: Int { state.withLock { $0.produceCalls } }

    func produce(into output: inout StreamOutput) -> StreamProduction {
        let next = state.withLock { state -> (messages: [[UInt8]], production: StreamProduction)? in
            state.produceCalls += 1
            return state.script.isEmpty ? nil : state.script.removeFirst()
        }
        guard let next else { return .pending }
        for message in next.messages { output.append(message: message) }
        return next.production
    }

    func cancel() {
        state.withLock { $0.cancelled = true }
    }

    func receive(_ message: [UInt8]) throws(RPCStatus) {
        let reject = state.withLock { state -> Bool in
            state.received.append(message)
            return state.rejectAfter.map { state.received.count > $0 } ?? false
        }
        if reject { throw RPCStatus(code: .invalidArgument, message: "rejected") }
    }

    func requestsEnded() {
        state.withLock { $0.requestsEnded = true }
    }
}

/// One gRPC message with its 5-byte prefix.
func framed(_ message: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = []
    GRPCMessageFramer.frame(message, into: &bytes)
    return bytes
}

extension ServerStreamStateMachine {
    /// The state's name, for comparisons.
    var stateName: String { "\(state)" }

    mutating func receive(_ bytes: [UInt8]) -> Action {
        bytes.withUnsafeBytes { receivedData($0) }
    }

    /// Reads the body the way nghttp2 does, into a buffer of `capacity` bytes.
    mutating func read(capacity: Int = 1 << 16, isDraining: Bool = false, woken: Bool = false) -> (BodyRead, [UInt8]) {
        var bytes: [UInt8] = []
        let read = withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
            let read = readBody(into: buffer, chunkSize: 1024, isDraining: isDraining) { producer, output in
                (producer.produce(into: &output), woken)
            }
            switch read {
            case .bytes(let count), .end(let count, _):
                bytes = Array(buffer.prefix(count))
            case .deferred:
                break
            }
            return read
        }
        return (read, bytes)
    }
}

extension ServerStreamStateMachine.Action {
    /// The action's name, for comparisons.
    var name: String {
        switch self {
        case .none: "none"
        case .submitResponse: "submitResponse"
        case .submitTrailersOnly(let status): "trailersOnly(\(status.code))"
        case .resumeBody: "resumeBody"
        case .reset(let code, _): "reset(\(code))"
        case .dispatch: "dispatch"
        }
    }
}

/// Streams in every state a stream can be in, made through the machine's own events.
enum StreamFixture: String, CaseIterable, CustomStringConvertible {
    case discarding, receiving, dispatchable, awaitingAnswer
    case respondingUnary, respondingStream, respondingRequests
    case finished, closed

    var description: String { rawValue }

    static let request: [UInt8] = [1, 2, 3]

    func make(producer: ScriptedProducer = ScriptedProducer([([[9]], .more)])) -> ServerStreamStateMachine {
        switch self {
        case .discarding:
            let answer = ServerStreamStateMachine.HTTPAnswer(headers: [HeaderField(name: ":status", value: "415")], body: Array("no".utf8))
            return ServerStreamStateMachine.answering(answer, id: 1, clientEnded: false).0
        case .receiving:
            return ServerStreamStateMachine.receiving(id: 1, maxMessageSize: 1 << 20)
        case .dispatchable:
            var machine = StreamFixture.receiving.make()
            _ = machine.receive(framed(Self.request))
            _ = machine.receivedEndOfStream()
            return machine
        case .awaitingAnswer:
            var machine = StreamFixture.dispatchable.make()
            _ = machine.takeRequest()
            return machine
        case .respondingUnary:
            var machine = StreamFixture.awaitingAnswer.make()
            _ = machine.unaryCompleted(.success([7, 7]))
            return machine
        case .respondingStream:
            var machine = StreamFixture.awaitingAnswer.make()
            _ = machine.startedProducing(producer)
            return machine
        case .respondingRequests:
            return ServerStreamStateMachine.streamingRequests(to: producer, id: 1, maxMessageSize: 1 << 20).0
        case .finished:
            return ServerStreamStateMachine.rejected(RPCStatus(code: .unimplemented, message: "x"), id: 1, clientEnded: false).0
        case .closed:
            var machine = StreamFixture.finished.make()
            machine.close()
            return machine
        }
    }
}
