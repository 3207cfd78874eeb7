import RPCCore
import Synchronization

/// Unary answers given to a connection on other threads, delivered on its event loop together:
/// one task and one flush for everything that arrived meanwhile. A store commit makes a whole
/// batch of StartWorkflow answers durable at once; handed over one by one, each cost a task,
/// a wake-up of the loop and a socket write of its own.
final class CompletionInbox: Sendable {
    /// An answer to the unary call on `streamID`.
    typealias Completion = (streamID: Int32, result: Result<[UInt8], RPCStatus>)

    private let pending = Mutex<[Completion]>([])

    /// Adds an answer.
    /// - Returns: Whether the inbox was empty: the caller schedules one delivery for all.
    func post(_ completion: Completion) -> Bool {
        pending.withLock { pending in
            pending.append(completion)
            return pending.count == 1
        }
    }

    /// Takes the answers posted so far, oldest first.
    func takeAll() -> [Completion] {
        pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
    }
}
