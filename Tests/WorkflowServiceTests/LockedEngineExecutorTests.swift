import Logging
import NIOPosix
import Synchronization
import Testing
import WorkflowEngine
import WorkflowModel
@testable import WorkflowService

@Suite("LockedEngineExecutor", .timeLimit(.minutes(1)))
struct LockedEngineExecutorTests {
    /// Counts entries and catches any two that overlap.
    private final class Occupancy: Sendable {
        private let inside = Atomic<Bool>(false)
        private let overlaps = Atomic<Int>(0)
        // Touched only while `inside` is held, which the test checks: the point is to see
        // whether the executor lets two threads in at once.
        nonisolated(unsafe) var entries = 0

        func occupy() {
            if inside.exchange(true, ordering: .acquiring) { overlaps.add(1, ordering: .relaxed) }
            entries += 1
            // Stays inside a little, so that a second thread let in would overlap.
            for _ in 0..<50 where !inside.load(ordering: .relaxed) {
                overlaps.add(1, ordering: .relaxed)
            }
            inside.store(false, ordering: .releasing)
        }

        var overlapCount: Int { overlaps.load(ordering: .relaxed) }

        /// Expects `count` entries, none of them beside another.
        func expectOneAtATime(entries count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(overlapCount == 0, sourceLocation: sourceLocation)
            #expect(entries == count, sourceLocation: sourceLocation)
        }
    }

    private final class Tally: Sendable {
        private let value = Atomic<Int>(0)
        func add() { value.add(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    /// Runs `body` on `count` loops of `group` at once, each given its index, as tasks of `tasks`.
    private func onLoops(
        _ count: Int, of group: MultiThreadedEventLoopGroup, in tasks: inout ThrowingTaskGroup<Void, any Error>,
        _ body: @escaping @Sendable (Int) -> Void
    ) {
        for index in 0..<count {
            let loop = group.next()
            tasks.addTask { try await loop.submit { body(index) }.get() }
        }
    }

    @Test("threads that enter at once, and work handed over from elsewhere, take turns")
    func entriesAndHomeWorkNeverOverlap() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 4)
        let executor = LockedEngineExecutor(loops: group)
        let occupancy = Occupancy()
        let perThread = 2_000
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            onLoops(3, of: group, in: &tasks) { _ in
                for _ in 0..<perThread { _ = executor.enter { occupancy.occupy() } }
            }
            tasks.addTask {
                await withCheckedContinuation { continuation in
                    for index in 0..<perThread {
                        executor.execute {
                            occupancy.occupy()
                            if index == perThread - 1 { continuation.resume() }
                        }
                    }
                }
            }
            try await tasks.waitForAll()
        }
        occupancy.expectOneAtATime(entries: 4 * perThread)
        try await group.shutdownGracefully()
    }

    @Test("work submitted from several loops runs once each, never beside other work, and what it leaves runs off the lock")
    func submittedWorkRunsOnceOffTheLockAfterwards() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let executor = LockedEngineExecutor(loops: group)
        let occupancy = Occupancy()
        let afterwards = Tally()
        let afterwardsUnderTheLock = Tally()
        let perThread = 2_000
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            onLoops(3, of: group, in: &tasks) { index in
                for _ in 0..<perThread {
                    if index == 0 {
                        _ = executor.enter { occupancy.occupy() }
                        continue
                    }
                    executor.submit {
                        occupancy.occupy()
                        return {
                            if executor.isCurrent { afterwardsUnderTheLock.add() }
                            afterwards.add()
                        }
                    }
                }
            }
            try await tasks.waitForAll()
        }
        // Work a holder found waiting when it let go runs at a loop's next turn.
        for _ in 0..<2_000 where afterwards.count < 2 * perThread {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(afterwards.count == 2 * perThread)
        #expect(afterwardsUnderTheLock.count == 0)
        occupancy.expectOneAtATime(entries: 3 * perThread)
        try await group.shutdownGracefully()
    }

    @Test("the thread inside enters again at once; no other thread counts as inside or enters while it is")
    func theHolderEntersAgain() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let executor = LockedEngineExecutor(loops: group)
        #expect(!executor.isCurrent)
        var insideFirst = false
        var insideNested = false
        var enteredIfFreeWhileHeld = true
        var seenElsewhere: Result<(isCurrent: Bool, enteredIfFree: Bool), any Error>?
        let entered = executor.enter {
            insideFirst = executor.isCurrent
            _ = executor.enter { insideNested = executor.isCurrent }
            enteredIfFreeWhileHeld = executor.enterIfFree {}
            seenElsewhere = Result {
                try group.next().submit { (executor.isCurrent, executor.enterIfFree {}) }.wait()
            }
        }
        #expect(entered && insideFirst && insideNested)
        #expect(!enteredIfFreeWhileHeld, "the holder itself does not enter if free")
        let elsewhere = try #require(try seenElsewhere?.get())
        #expect(!elsewhere.isCurrent && !elsewhere.enteredIfFree)
        #expect(!executor.isCurrent)
        #expect(executor.enterIfFree {})
        try await group.shutdownGracefully()
    }

    @Test("handlers on several loops and the engine's own tasks share one engine")
    func handlersOnEveryLoopReachTheEngine() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let engine = WorkflowEngine(
            templates: .builtIn, executor: LockedEngineExecutor(loops: group),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let request = WorkflowRequest(type: "TEST", params: ["jobs": "2", "steps": "3", "step_delay_ms": "0"])
        let ids = try await withThrowingTaskGroup(of: [String].self) { tasks in
            for _ in 0..<3 {
                let loop = group.next()
                tasks.addTask {
                    try await loop.submit {
                        try (0..<20).map { _ in try engine.fromHandler { engine throws(EngineError) in try engine.start(request).value.id } }
                    }.get()
                }
            }
            return try await tasks.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 60)
        for id in ids {
            while try await engine.workflow(id: id).status == .running {
                try await Task.sleep(for: .milliseconds(1))
            }
            let workflow = try await engine.workflow(id: id)
            #expect(workflow.status == .completed)
            #expect(workflow.jobs.allSatisfy { $0.steps.count == 3 })
        }
        await engine.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("an inline job runs on the loop that started it, also after a sleep; a pooled job on no loop")
    func inlineJobsRunOnTheLoops() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        // Where each job ran: the loops it was on before and after its sleep.
        let places = Mutex<[String: [ObjectIdentifier?]]>([:])
        func recordingJob(_ name: String, _ execution: JobDefinition.Execution) -> JobDefinition {
            JobDefinition(name: name, execution: execution) { context in
                func record() {
                    let loop = MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
                    places.withLock { $0[name, default: []].append(loop) }
                }
                record()
                try await Task.sleep(for: .milliseconds(20))
                record()
                context.logStep("\(name) ran")
            }
        }
        let template = WorkflowTemplate(type: "PLACES", jobs: [recordingJob("Inline", .inline), recordingJob("Pooled", .pooled)])
        let engine = WorkflowEngine(
            templates: TemplateRegistry([template]), executor: LockedEngineExecutor(loops: group),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        // Not the first loop: the one work from elsewhere falls back to.
        let loops = Array(group.makeIterator())
        let starter = loops[2]
        let id = try await starter.submit {
            try engine.fromHandler { engine throws(EngineError) in try engine.start(WorkflowRequest(type: "PLACES")).value.id }
        }.get()
        while try await engine.workflow(id: id).status == .running {
            try await Task.sleep(for: .milliseconds(1))
        }
        let workflow = try await engine.workflow(id: id)
        #expect(workflow.status == .completed)
        #expect(workflow.jobs.map { $0.steps.map(\.message) } == [["Inline ran"], ["Pooled ran"]])
        let recorded = places.withLock { $0 }
        #expect(recorded["Inline"] == [ObjectIdentifier(starter), ObjectIdentifier(starter)])
        #expect(recorded["Pooled"] == [nil, nil])
        await engine.shutdown()
        try await group.shutdownGracefully()
    }
}
