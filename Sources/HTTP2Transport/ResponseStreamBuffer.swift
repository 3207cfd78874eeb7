import NIOCore
import RPCCore
import Synchronization

/// The messages of one server-streaming call between the connection (producer, on its event
/// loop) and the task iterating a ``GRPCResponseStream`` (consumer, anywhere).
///
/// The buffer counts the bytes it holds. When they exceed the high-water mark, ``yield(_:)``
/// tells the connection to pause; when the consumer brings them down to half of it, the buffer
/// calls `onDrained` so that the connection resumes. Cancellation by the consumer (task
/// cancelled, stream dropped) ends the buffer with CANCELLED and calls `onCancel` once.
///
/// States: open (messages may arrive) → ended (a status is stored; remaining messages are
/// still delivered, then the status) → delivered (the consumer saw the end; `next` returns nil).
final class ResponseStreamBuffer: Sendable {
    private struct State: ~Copyable {
        var messages = CircularBuffer<[UInt8]>()
        var bufferedBytes = 0
        var producerPaused = false
        /// The call's status once it ended; messages before it are delivered first.
        var end: RPCStatus?
        var endDelivered = false
        var waiter: CheckedContinuation<Result<[UInt8]?, RPCStatus>, Never>?
    }

    /// What the consumer gets right now.
    private enum Take {
        case message([UInt8], drained: Bool)
        case end(Result<[UInt8]?, RPCStatus>)
        case wait
    }

    private let state = Mutex(State())
    private let highWater: Int
    private let lowWater: Int
    private let onDrained: @Sendable () -> Void
    private let onCancel: @Sendable () -> Void

    private static let cancelledStatus = RPCStatus(code: .cancelled, message: "the call was cancelled by the client")

    /// - Parameters:
    ///   - maxBufferedBytes: the high-water mark.
    ///   - onDrained: called (from the consumer's thread) when a paused producer may go on.
    ///   - onCancel: called at most once (from the consumer's thread) when the consumer gives
    ///     up before the call ended.
    init(maxBufferedBytes: Int, onDrained: @escaping @Sendable () -> Void, onCancel: @escaping @Sendable () -> Void) {
        self.highWater = max(maxBufferedBytes, 1)
        self.lowWater = max(maxBufferedBytes, 1) / 2
        self.onDrained = onDrained
        self.onCancel = onCancel
    }

    // MARK: Producer side (the connection's event loop)

    /// Adds a message.
    /// - Returns: true while the producer should pause (the consumer is behind).
    func yield(_ message: [UInt8]) -> Bool {
        let (waiter, paused) = state.withLock { state -> (CheckedContinuation<Result<[UInt8]?, RPCStatus>, Never>?, Bool) in
            guard state.end == nil else { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.messages.append(message)
            state.bufferedBytes += message.count
            if state.bufferedBytes > highWater { state.producerPaused = true }
            return (nil, state.producerPaused)
        }
        waiter?.resume(returning: .success(message))
        return paused
    }

    /// Ends the stream with the call's status (OK ends it normally). Later calls are ignored.
    func finish(_ status: RPCStatus) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<[UInt8]?, RPCStatus>, Never>? in
            guard state.end == nil else { return nil }
            state.end = status
            guard state.messages.isEmpty, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.endDelivered = true
            return waiter
        }
        waiter?.resume(returning: Self.result(of: status))
    }

    // MARK: Consumer side

    /// The next message; nil after an OK end; throws the status of a failed call once.
    /// - Precondition: one consumer at a time.
    func next() async throws(RPCStatus) -> [UInt8]? {
        if Task.isCancelled { cancel() }
        switch state.withLock({ Self.take(&$0, lowWater: lowWater) }) {
        case .message(let message, let drained):
            if drained { onDrained() }
            return message
        case .end(let result):
            return try result.get()
        case .wait:
            break
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<[UInt8]?, RPCStatus>, Never>) in
                let take = state.withLock { state -> Take in
                    let take = Self.take(&state, lowWater: lowWater)
                    if case .wait = take {
                        precondition(state.waiter == nil, "a GRPCResponseStream supports one consumer at a time")
                        state.waiter = continuation
                    }
                    return take
                }
                switch take {
                case .message(let message, let drained):
                    continuation.resume(returning: .success(message))
                    if drained { onDrained() }
                case .end(let result):
                    continuation.resume(returning: result)
                case .wait:
                    break
                }
            }
        } onCancel: {
            self.cancel()
        }
        return try result.get()
    }

    /// The consumer gives up: a call still running ends with CANCELLED (and `onCancel` runs);
    /// buffered messages are dropped.
    func cancel() {
        let (waiter, cancelled) = state.withLock { state -> (CheckedContinuation<Result<[UInt8]?, RPCStatus>, Never>?, Bool) in
            guard state.end == nil else { return (nil, false) }
            state.end = Self.cancelledStatus
            state.messages.removeAll()
            state.bufferedBytes = 0
            let waiter = state.waiter
            state.waiter = nil
            if waiter != nil { state.endDelivered = true }
            return (waiter, true)
        }
        waiter?.resume(returning: .failure(Self.cancelledStatus))
        if cancelled { onCancel() }
    }

    /// The consumer is gone (its sequence and iterators were released).
    func consumerGone() {
        cancel()
        state.withLock { state in
            state.messages.removeAll()
            state.bufferedBytes = 0
        }
    }

    // MARK: Helpers

    private static func take(_ state: inout State, lowWater: Int) -> Take {
        if let message = state.messages.popFirst() {
            state.bufferedBytes -= message.count
            var drained = false
            if state.producerPaused && state.bufferedBytes <= lowWater {
                state.producerPaused = false
                drained = true
            }
            return .message(message, drained: drained)
        }
        if let end = state.end {
            if state.endDelivered { return .end(.success(nil)) }
            state.endDelivered = true
            return .end(result(of: end))
        }
        return .wait
    }

    private static func result(of status: RPCStatus) -> Result<[UInt8]?, RPCStatus> {
        status.code == .ok ? .success(nil) : .failure(status)
    }
}
