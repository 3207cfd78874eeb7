import Foundation
import Synchronization
import WorkflowEngine

/// A serial executor backed by one dedicated thread running a work loop, like a network event
/// loop: `execute` runs plain closures on it, `enqueue` runs Swift jobs on it.
final class LoopExecutor: EngineExecutor, Sendable {
    private struct State {
        var work: [@Sendable () -> Void] = []
        var stopped = false
        var thread: pthread_t?
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in
            state.withLock { $0.thread = pthread_self() }
            started.signal()
            loop()
        }
        thread.start()
        started.wait()
    }

    /// Runs `work` on the loop thread, outside any Swift task.
    func execute(_ work: @escaping @Sendable () -> Void) {
        state.withLock { $0.work.append(work) }
        wakeUp.signal()
    }

    /// Stops the loop after the work queued so far.
    func shutdown() {
        state.withLock { $0.stopped = true }
        wakeUp.signal()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        execute { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    var isCurrent: Bool {
        state.withLock { state in
            state.thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        }
    }

    private func loop() {
        while true {
            wakeUp.wait()
            let (work, stopped) = state.withLock { state in
                let work = state.work
                state.work = []
                return (work, state.stopped)
            }
            for item in work {
                item()
            }
            if stopped && work.isEmpty {
                return
            }
        }
    }
}
