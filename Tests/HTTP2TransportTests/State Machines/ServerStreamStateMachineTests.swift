@testable import HTTP2Transport
import HeaderFields
import RPCCore
import Testing

@Suite struct ServerStreamStateMachineTests {
    // MARK: Requests

    @Test("a unary call: request, dispatch, answer, trailers; its request bytes go back once handed over")
    func unaryCall() {
        var machine = ServerStreamStateMachine.receiving(id: 3, maxMessageSize: 1 << 20)
        let request = framed([1, 2, 3, 4])
        #expect(machine.receive(Array(request.prefix(6))).name == "none")
        #expect(machine.releasableRequestBytes() == 0, "a partial message holds its bytes")
        #expect(machine.receive(Array(request.dropFirst(6))).name == "none")
        #expect(machine.releasableRequestBytes() == 0, "a complete request not yet handed over holds its bytes")
        #expect(machine.receivedEndOfStream().name == "dispatch")
        #expect(machine.takeRequest() == [1, 2, 3, 4])
        #expect(machine.releasableRequestBytes() == request.count)
        #expect(machine.unaryCompleted(.success([9, 9])).name == "submitResponse")
        let (read, bytes) = machine.read()
        #expect(read == .end(bytes: 7, status: .ok))
        #expect(bytes == framed([9, 9]))
        #expect(machine.sentEndOfStream().name == "none", "the client had ended")
    }

    @Test("a second request message for a unary method is INTERNAL")
    func secondMessage() {
        var machine = ServerStreamStateMachine.receiving(id: 1, maxMessageSize: 1 << 20)
        #expect(machine.receive(framed([1]) + framed([2])).name == "trailersOnly(INTERNAL)")
        #expect(machine.stateName == "finished")
    }

    @Test("a request that ends mid-message, or without one, is INTERNAL")
    func endsEarly() {
        var partial = ServerStreamStateMachine.receiving(id: 1, maxMessageSize: 1 << 20)
        _ = partial.receive([0, 0, 0])
        #expect(partial.receivedEndOfStream().name == "trailersOnly(INTERNAL)")
        var empty = ServerStreamStateMachine.receiving(id: 1, maxMessageSize: 1 << 20)
        #expect(empty.receivedEndOfStream().name == "trailersOnly(INTERNAL)")
    }

    @Test("a message over the receive limit is RESOURCE_EXHAUSTED from its prefix")
    func oversizeMessage() {
        var machine = ServerStreamStateMachine.receiving(id: 1, maxMessageSize: 10)
        #expect(machine.receive([0, 0, 0, 0, 11]).name == "trailersOnly(RESOURCE_EXHAUSTED)")
    }

    @Test("a request over the buffer budget ends RESOURCE_EXHAUSTED and gives back every byte")
    func budgetExhausted() {
        var machine = ServerStreamStateMachine.receiving(id: 1, maxMessageSize: 1 << 20)
        _ = machine.receive([0, 0, 1, 0, 0] + [UInt8](repeating: 1, count: 1000))
        #expect(machine.bufferedBytes >= 1000)
        #expect(machine.bufferBudgetExhausted().name == "trailersOnly(RESOURCE_EXHAUSTED)")
        _ = machine.receive([UInt8](repeating: 1, count: 500))
        #expect(machine.bufferedBytes == 0)
        #expect(machine.releasableRequestBytes() == 1505)
        #expect(!machine.keepsRequestBytes)
    }

    // MARK: Non-gRPC requests

    @Test("a non-gRPC request is answered at its END_STREAM, not before")
    func answeredAtEnd() {
        let answer = ServerStreamStateMachine.HTTPAnswer(headers: [HeaderField(name: ":status", value: "415")], body: Array("nope".utf8))
        var (machine, first) = ServerStreamStateMachine.answering(answer, id: 1, clientEnded: false)
        #expect(first.name == "none")
        #expect(machine.receive(Array(repeating: 0, count: 100)).name == "none")
        #expect(machine.releasableRequestBytes() == 100, "discarded bytes reopen the window at once")
        #expect(machine.receivedEndOfStream().name == "submitResponse")
        let (read, bytes) = machine.read()
        #expect(read == .end(bytes: 4, status: nil))
        #expect(bytes == Array("nope".utf8))
        #expect(machine.sentEndOfStream().name == "none")
    }

    @Test("a non-gRPC request that ended with its headers is answered at once")
    func answeredAtOnce() {
        let answer = ServerStreamStateMachine.HTTPAnswer(headers: [HeaderField(name: ":status", value: "405")], body: Array("no".utf8))
        let (machine, first) = ServerStreamStateMachine.answering(answer, id: 1, clientEnded: true)
        #expect(first.name == "submitResponse")
        #expect(machine.stateName == "responding")
    }

    @Test("a non-gRPC request body past the limit is answered without waiting, then reset")
    func discardLimit() {
        let answer = ServerStreamStateMachine.HTTPAnswer(headers: [HeaderField(name: ":status", value: "415")], body: Array("no".utf8))
        var (machine, _) = ServerStreamStateMachine.answering(answer, id: 1, clientEnded: false)
        let piece = [UInt8](repeating: 0, count: 16 << 10)
        for _ in 0..<(ServerStreamStateMachine.maxDiscardedBytes / piece.count) {
            #expect(machine.receive(piece).name == "none")
        }
        #expect(machine.receive([0]).name == "submitResponse")
        #expect(machine.read().0 == .end(bytes: 2, status: nil))
        #expect(machine.sentEndOfStream().name == "reset(0)", "the client is still sending")
    }

    // MARK: Streaming responses

    @Test("a producer is pulled only when nghttp2 asks, and its answers decide when to ask again")
    func pulling() {
        let producer = ScriptedProducer([
            ([[1]], .more),
            ([], .more),
            ([], .pending),
            ([], .pending),
            ([[2]], .finished(RPCStatus(code: .aborted, message: "x"))),
        ])
        var machine = StreamFixture.awaitingAnswer.make()
        #expect(machine.startedProducing(producer).name == "submitResponse")
        #expect(machine.read().0 == .bytes(6))
        #expect(machine.read().0 == .deferred(askAgain: true), "more, but nothing produced: ask again")
        #expect(machine.wake().name == "resumeBody")
        #expect(machine.read().0 == .deferred(askAgain: false), "pending: wait for the waker")
        #expect(machine.wake().name == "resumeBody")
        #expect(machine.wake().name == "none", "not deferred any more")
        #expect(machine.read(woken: true).0 == .deferred(askAgain: true), "woken while producing: ask again")
        _ = machine.wake()
        #expect(machine.read().0 == .end(bytes: 6, status: RPCStatus(code: .aborted, message: "x")))
        #expect(machine.stateName == "finished")
        #expect(producer.produceCalls == 5)
    }

    @Test("pending bytes go out in pieces as small as nghttp2's buffer")
    func smallBuffers() {
        var machine = StreamFixture.awaitingAnswer.make()
        _ = machine.unaryCompleted(.success(Array(repeating: 5, count: 10)))
        #expect(machine.read(capacity: 4).0 == .bytes(4))
        #expect(machine.bufferedBytes == 11)
        #expect(machine.read(capacity: 4).0 == .bytes(4))
        #expect(machine.read(capacity: 4).0 == .bytes(4))
        #expect(machine.read(capacity: 4).0 == .end(bytes: 3, status: .ok))
    }

    @Test("draining: a caught-up streaming response ends UNAVAILABLE and its producer is cancelled")
    func draining() {
        let producer = ScriptedProducer([([[1]], .more)])
        var machine = StreamFixture.respondingStream.make(producer: producer)
        #expect(machine.read().0 == .bytes(6))
        #expect(machine.read().0 == .deferred(askAgain: false))
        #expect(machine.drain().name == "resumeBody")
        #expect(machine.read(isDraining: true).0 == .end(bytes: 0, status: RPCStatus(code: .unavailable, message: "the server is shutting down")))
        #expect(producer.cancelled)
    }

    // MARK: Deadlines

    @Test("a deadline while the client grants no window resets the stream at once and drops what it holds")
    func deadlineWithoutWindow() {
        let producer = ScriptedProducer([([Array(repeating: 1, count: 100)], .more)])
        var machine = StreamFixture.respondingStream.make(producer: producer)
        #expect(machine.read(capacity: 10).0 == .bytes(10))
        #expect(machine.bufferedBytes == 95)
        let action = machine.deadlineExpired(sendWindow: 0)
        guard case .reset(let code, let status) = action else {
            Issue.record("expected a reset, got \(action)")
            return
        }
        #expect(code == HTTP2ErrorCodes.cancel)
        #expect(status?.code == .deadlineExceeded)
        #expect(producer.cancelled)
        #expect(machine.bufferedBytes == 0)
    }

    @Test("a deadline with room to send ends with DEADLINE_EXCEEDED trailers after what is pending")
    func deadlineWithWindow() {
        let producer = ScriptedProducer([([[1]], .more)])
        var machine = StreamFixture.respondingStream.make(producer: producer)
        #expect(machine.read().0 == .bytes(6))
        #expect(machine.read().0 == .deferred(askAgain: false))
        #expect(machine.deadlineExpired(sendWindow: 100).name == "resumeBody")
        #expect(producer.cancelled)
        #expect(machine.read().0 == .end(bytes: 0, status: ServerStreamStateMachine.deadlineExceeded))
        #expect(machine.deadlineGraceExpired().name == "none", "already finished")
    }

    @Test("pending bytes larger than the window count as blocked: reset")
    func deadlineWindowTooSmall() {
        var machine = StreamFixture.awaitingAnswer.make()
        _ = machine.unaryCompleted(.success(Array(repeating: 5, count: 100)))
        #expect(machine.deadlineExpired(sendWindow: 50).name == "reset(8)")
    }

    @Test("trailers that did not leave within the grace are replaced by a reset")
    func deadlineGrace() {
        var machine = StreamFixture.respondingStream.make()
        #expect(machine.deadlineExpired(sendWindow: 100).name == "none")
        #expect(machine.deadlineGraceExpired().name == "reset(8)")
        #expect(machine.stateName == "finished")
    }

    // MARK: Request streams

    @Test("request messages reach the handler as they arrive; its end is reported")
    func requestStream() {
        let handler = ScriptedProducer()
        var (machine, first) = ServerStreamStateMachine.streamingRequests(to: handler, id: 1, maxMessageSize: 1 << 20)
        #expect(first.name == "submitResponse")
        let two = framed([1]) + framed([2, 2])
        #expect(machine.receive(Array(two.prefix(8))).name == "none")
        #expect(handler.received == [[1]])
        #expect(machine.requestBytesToHold == 2)
        #expect(machine.receive(Array(two.dropFirst(8))).name == "none")
        #expect(handler.received == [[1], [2, 2]])
        #expect(machine.receivedEndOfStream().name == "none")
        #expect(handler.sawEnd)
        #expect(!machine.keepsRequestBytes)
    }

    @Test("a handler that rejects a message ends the call with its status; later messages are dropped")
    func handlerRejects() {
        let handler = ScriptedProducer(rejectingAfter: 1)
        var (machine, _) = ServerStreamStateMachine.streamingRequests(to: handler, id: 1, maxMessageSize: 1 << 20)
        _ = machine.read()
        #expect(machine.receive(framed([1]) + framed([2])).name == "resumeBody", "the deferred body wakes for the trailers")
        #expect(handler.cancelled)
        #expect(machine.receive(framed([3])).name == "none")
        #expect(handler.received == [[1], [2]])
        #expect(machine.read().0 == .end(bytes: 0, status: RPCStatus(code: .invalidArgument, message: "rejected")))
    }

    @Test("a request stream that ends mid-message is INTERNAL")
    func requestStreamEndsEarly() {
        let handler = ScriptedProducer()
        var (machine, _) = ServerStreamStateMachine.streamingRequests(to: handler, id: 1, maxMessageSize: 1 << 20)
        _ = machine.receive([0, 0])
        _ = machine.receivedEndOfStream()
        #expect(!handler.sawEnd)
        #expect(machine.read().0 == .end(bytes: 0, status: RPCStatus(code: .internalError, message: "request stream ended in the middle of a message")))
    }

    @Test("a request stream over the buffer budget ends RESOURCE_EXHAUSTED after what it sent")
    func requestStreamBudget() {
        let handler = ScriptedProducer()
        var (machine, _) = ServerStreamStateMachine.streamingRequests(to: handler, id: 1, maxMessageSize: 1 << 20)
        #expect(machine.keepsRequestBytes)
        #expect(machine.bufferBudgetExhausted().name == "none")
        #expect(handler.cancelled)
        #expect(!machine.keepsRequestBytes)
        #expect(machine.read().0 == .end(bytes: 0, status: RPCStatus(code: .resourceExhausted, message: "the server's buffer budget is exhausted; try again later")))
    }

    @Test("a started producer arriving after the stream ended is cancelled")
    func lateProducer() {
        var machine = StreamFixture.closed.make()
        let producer = ScriptedProducer()
        #expect(machine.startedProducing(producer).name == "none")
        #expect(producer.cancelled)
    }
}
