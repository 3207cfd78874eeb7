internal import CMallocControl
import Dispatch
import Foundation
import GRDB
import Logging
import SQLiteRows
import Synchronization
import WorkflowEngine
import WorkflowModel

/// The embedded durable store: one SQLite database in WAL mode (through GRDB) in a data
/// directory, written with group commit.
///
/// Writes queue up in memory (``enqueue(_:)`` never touches the disk) and one writer thread
/// (``BatchThread``) commits what is queued in one transaction (up to about
/// ``CommitQueue/defaultMaxEventsPerCommit`` events while more wait), then reports the newest
/// committed sequence; whatever arrives during a commit goes into the next one, so the batch
/// grows with the load and an idle store commits a lone event at once. Readers (replays of old
/// events) use WAL reader connections and never wait for the writer.
///
/// With `synchronous = NORMAL` (the default) a commit survives the process being killed; with
/// ``Configuration/fsyncEachCommit`` it also survives power loss, at the cost of an fsync per
/// batch.
///
/// ```swift
/// let store = try SQLiteEventStore(configuration: .init(directory: "workflow-data"), logger: logger)
/// let engine = WorkflowEngine(templates: .builtIn, store: store, logger: logger)
/// try await engine.restore()
/// ```
package final class SQLiteEventStore: EventStore {
    /// Where and how to store.
    package struct Configuration: Sendable {
        /// The data directory; created if missing. Holds `workflows.sqlite` (plus its `-wal`
        /// and `-shm` files) and a `LOCK` file.
        package var directory: String
        /// How many of the newest events the store keeps; older ones are pruned in order.
        package var eventRetention: Int
        /// Whether each commit is fsynced (`synchronous = FULL`), surviving power loss too.
        package var fsyncEachCommit: Bool
        /// The size the WAL file is brought back to: a checkpoint truncates it once it is larger
        /// (SQLite's `journal_size_limit`, and a TRUNCATE checkpoint past it); once the WAL holds
        /// a quarter of it, a checkpoint under load makes the next commit start it over.
        package var walSizeLimit: Int
        /// How often the WAL is copied back into the database file (a quarter of it while
        /// commits fill the WAL fast: ``CheckpointPace``).
        package var checkpointInterval: Duration

        /// Creates a configuration.
        package init(
            directory: String, eventRetention: Int = 1_000_000, fsyncEachCommit: Bool = false,
            walSizeLimit: Int = 32 << 20, checkpointInterval: Duration = .milliseconds(500)
        ) {
            self.directory = directory
            self.eventRetention = max(1, eventRetention)
            self.fsyncEachCommit = fsyncEachCommit
            self.walSizeLimit = max(0, walSizeLimit)
            self.checkpointInterval = max(.milliseconds(1), checkpointInterval)
        }
    }

    /// The database file inside the data directory.
    package let path: String
    private let configuration: Configuration
    private let pool: DatabasePool
    /// A connection of its own for WAL checkpoints, so that the fsyncs of a checkpoint never
    /// stall a commit (SQLite's automatic checkpoints run inside the committing call).
    private let checkpointer: DatabaseQueue
    private let checkpointQueue = DispatchQueue(label: "workflow.store.checkpoint", qos: .utility)
    private let lock: DirectoryLock
    /// Commits what is queued; started in `init`, stopped when the store goes away.
    private let writer = BatchThread(name: "workflow.store.writer")
    private let metrics = StoreMetrics()
    private let queue = Mutex(CommitQueue())
    /// Commits since the last checkpoint round: none means the store is idle.
    private let commitsSinceCheckpoint = Atomic<Int>(0)
    /// Held by the writer around each commit, and by a checkpoint that must copy the WAL to
    /// its end with no commit adding to it meanwhile.
    private let commitGate = Mutex<Void>(())
    /// The database's page size in bytes.
    private let pageSize: Int
    private let commitHandler = Mutex<CommitHandler?>(nil)
    /// The oldest and newest stored sequences (0 when none), kept by the writer.
    private let bounds: Mutex<(oldest: UInt64, newest: UInt64)>
    private let logger: Logger

    /// Opens (or creates) the store in `configuration.directory` and brings its schema up to date.
    ///
    /// - Throws: ``StoreError`` naming the file when the directory cannot be used, another
    ///   process holds it, or the file is not a readable database (it is never reset).
    package init(configuration: Configuration, logger: Logger) throws {
        let directory = URL(fileURLWithPath: configuration.directory)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError("cannot create data directory \(directory.path): \(error.localizedDescription)")
        }
        self.lock = try DirectoryLock(path: directory.appendingPathComponent("LOCK").path)
        self.path = directory.appendingPathComponent("workflows.sqlite").path
        self.configuration = configuration
        self.logger = logger
        var database = GRDB.Configuration()
        let synchronous = configuration.fsyncEachCommit ? "FULL" : "NORMAL"
        let walSizeLimit = configuration.walSizeLimit
        database.prepareDatabase { db in
            if db.configuration.readonly {
                // Readers replay old events and read old trees, each once: a small page cache
                // (1 MiB, not 2) keeps their memory low; the OS caches the file anyway.
                try db.execute(sql: "PRAGMA cache_size = -1024")
            }
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = \(walSizeLimit)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: database)
            try StoreSchema.migrator.migrate(pool)
            // A checkpoint never waits for the writer or readers (it tries again next round): a
            // TRUNCATE that waited held the write lock meanwhile, stalling commits by 30 ms.
            var checkpointing = database
            checkpointing.busyMode = .immediateError
            checkpointer = try DatabaseQueue(path: path, configuration: checkpointing)
            pageSize = try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } ?? 4096
            let (oldest, newest) = try pool.read { db in
                let row = try Row.fetchOne(db, sql: """
                    SELECT coalesce((SELECT sequence FROM bounds WHERE name = 'oldest_event'), (SELECT min(first_sequence) FROM event_chunks)),
                    (SELECT last_sequence FROM event_chunks ORDER BY first_sequence DESC LIMIT 1)
                    """)
                return (row?[0] as Int64? ?? 0, row?[1] as Int64? ?? 0)
            }
            bounds = Mutex((UInt64(oldest), UInt64(newest)))
        } catch {
            throw StoreError("cannot open the data store \(path): \(error); move the file away to start empty, or restore it from a backup")
        }
        writer.start { [weak self] in
            let flushed: [DispatchSemaphore]
            do {
                // The queue holds the store while writes are queued, so it is here.
                guard let store = self else { return }
                let idle = store.drain()
                flushed = idle.flushed
                withExtendedLifetime(idle.owner) {}
            }
            // Signalled once the writer let go of the store: a store dropped after its flush
            // goes away there and then, with its directory's lock.
            for waiter in flushed {
                waiter.signal()
            }
        }
        let pace = CheckpointPace(interval: configuration.checkpointInterval, walSizeLimit: configuration.walSizeLimit)
        scheduleCheckpoint(after: pace.interval, pace: pace)
    }

    deinit {
        writer.stop()
    }

    /// Runs checkpoint rounds while the store exists, the next one as `pace` says.
    private func scheduleCheckpoint(after delay: Duration, pace: CheckpointPace) {
        checkpointQueue.asyncAfter(deadline: .now() + .nanoseconds(Int(delay.wholeNanoseconds))) { [weak self] in
            guard let self else { return }
            var pace = pace
            var round = (walBytes: 0, sawCommits: false)
            do {
                round = try checkpoint()
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                // Readers or the writer were in the way: the next round tries again.
            } catch {
                logger.warning("store.checkpoint_failed", metadata: ["store.path": "\(path)", "store.error": "\(error)"])
            }
            scheduleCheckpoint(after: pace.next(walBytes: round.walBytes, sawCommits: round.sawCommits), pace: pace)
        }
    }

    /// One round of copying the WAL back into the database file.
    ///
    /// PASSIVE copies what it can (and syncs the database file) without blocking the writer or
    /// the readers. SQLite starts the WAL over (and cuts it to `journal_size_limit`) at the first
    /// commit after everything in it was copied, and only if no reader is still reading from
    /// it; under steady load commits land during every copy, so it never would: the file grew
    /// by every commit (150 MB in 3.5 s of StartWorkflow calls), each write on new blocks the
    /// kernel zeroes first. So once the WAL holds a quarter of the limit, what came in during
    /// the copy is copied again with commits held off (``commitGate``) for that copy and its
    /// two fsyncs, of the WAL and of the database file; the next commit then writes from the
    /// WAL's start, over blocks the file already has.
    ///
    /// Past the limit, when readers kept PASSIVE from copying everything or the store is idle,
    /// TRUNCATE brings the file back to zero bytes if no reader is in its way, also holding
    /// commits off while it runs (30 ms for a 32 MiB WAL, measured with workflow-bench): without
    /// the gate a commit would fail on the write lock it holds and try again.
    /// - Returns: The bytes written to the WAL since it last started over, as the round found
    ///   them, and whether anything was committed since the round before.
    private func checkpoint() throws -> (walBytes: Int, sawCommits: Bool) {
        let isIdle = commitsSinceCheckpoint.exchange(0, ordering: .relaxed) == 0
        var (frames, copied) = try checkpointer.inDatabase { db in try db.checkpoint(.passive) }
        let walBytes = frames * (pageSize + Self.walFrameHeaderSize)
        if copied == frames, commitsSinceCheckpoint.load(ordering: .relaxed) > 0, walBytes >= configuration.walSizeLimit / 4 {
            (frames, copied) = try commitGate.withLock { _ in
                try checkpointer.inDatabase { db in try db.checkpoint(.passive) }
            }
        }
        if copied < frames || isIdle, walFileSize() > configuration.walSizeLimit {
            do {
                try commitGate.withLock { _ in
                    _ = try checkpointer.inDatabase { db in try db.checkpoint(.truncate) }
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                // A reader is in the way: the next round tries again, paced by what this one found.
            }
        }
        return (walBytes, !isIdle)
    }

    /// The WAL file's size now (0 when there is none).
    private func walFileSize() -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// The bytes each WAL frame adds to a page.
    private static let walFrameHeaderSize = 24

    package func setCommitHandler(_ handler: @escaping @Sendable (UInt64) -> Void) {
        commitHandler.withLock { $0 = CommitHandler(notify: handler) }
    }

    /// The handler set by ``setCommitHandler(_:)``, read on every commit.
    func currentCommitHandler() -> CommitHandler? {
        commitHandler.withLock { $0 }
    }

    package var oldestStoredSequence: UInt64? {
        let oldest = bounds.withLock { $0.oldest }
        return oldest == 0 ? nil : oldest
    }

    package func enqueue(_ write: StoreWrite) {
        let startDrain = queue.withLock { queue in queue.append(CollectionOfOne(write), for: self) }
        if startDrain {
            writer.wake()
        }
    }

    package func enqueue(contentsOf writes: [StoreWrite]) {
        // Under one lock: the writer takes all of them or none into its next commit.
        let startDrain = queue.withLock { queue in queue.append(writes, for: self) }
        if startDrain {
            writer.wake()
        }
    }

    /// Blocks until the writer has nothing left to commit: everything queued before the call,
    /// and whatever was queued while it waited.
    package func flush() {
        precondition(!writer.isCurrentThread, "flush() on the store's writer thread would wait for itself")
        let done = DispatchSemaphore(value: 0)
        if queue.withLock({ $0.waitUntilIdle(done) }) {
            done.wait()
        }
    }

    /// Events committed since the writer last gave free memory back.
    private let eventsSinceTrim = Atomic<Int>(0)
    private let isTrimScheduled = Atomic<Bool>(false)

    /// How many committed events make it worth giving free memory back once writes pause: the
    /// events of a burst are allocated on the event loops and freed here, interleaved with what
    /// the loops go on allocating, so the allocator keeps most of them as free holes in its
    /// arenas (under glibc a 100,000-step workflow left 25–45 MiB held, which a trim gave back;
    /// jemalloc gives them back only over seconds of later activity). Under steady load the
    /// memory is reused instead, and a trim would only make the next allocations fault it in.
    static let eventsPerTrim = 65_536

    /// Gives free memory back a second from now unless events are committed meanwhile (the
    /// writer's next pause then tries again).
    private func trimOncePaused() {
        guard isTrimScheduled.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let newest = bounds.withLock { $0.newest }
        checkpointQueue.asyncAfter(deadline: .now() + .seconds(1)) { [weak self] in
            guard let self else { return }
            isTrimScheduled.store(false, ordering: .relaxed)
            guard bounds.withLock({ $0.newest }) == newest else { return }
            eventsSinceTrim.store(0, ordering: .relaxed)
            // The result (whether pages went back) changes nothing here.
            _ = CMallocControlTrim()
        }
    }

    /// Commits batches until nothing is queued; runs on ``writer`` only.
    /// - Returns: The store the queue held while there was work, and the ``flush()`` calls to
    ///   release once it is let go of.
    private func drain() -> (owner: AnyObject?, flushed: [DispatchSemaphore]) {
        while true {
            let (writes, idle) = queue.withLock { queue -> ([StoreWrite], (owner: AnyObject?, flushed: [DispatchSemaphore])?) in
                let writes = queue.takeNextCommit()
                return writes.isEmpty ? ([], queue.idle()) : (writes, nil)
            }
            if let idle {
                if eventsSinceTrim.load(ordering: .relaxed) >= Self.eventsPerTrim {
                    trimOncePaused()
                }
                return idle
            }
            var committed = consume writes
            commitRetrying(committed)
            // Emptied here, outside the lock: releasing what the writes hold takes a while.
            committed.removeAll(keepingCapacity: true)
            queue.withLock { $0.recycle(committed) }
        }
    }

    /// Commits `writes` in one transaction, retrying until it succeeds: events become visible
    /// only once committed, so none is ever skipped.
    private func commitRetrying(_ writes: [StoreWrite]) {
        var delayMs = 10
        while true {
            do {
                // Timed inside the gate: a checkpoint holding commits off is not the commit's own time.
                let (newest, duration) = try commitGate.withLock { _ in
                    let started = ContinuousClock.now
                    let newest = try commit(writes)
                    return (newest, started.duration(to: .now))
                }
                metrics.commitDuration.recordNanoseconds(duration.wholeNanoseconds)
                let events = writes.reduce(0) { count, write in
                    if case .events(let events) = write { count + events.count } else { count }
                }
                metrics.commitEvents.record(events)
                eventsSinceTrim.add(events, ordering: .relaxed)
                currentCommitHandler()?.notify(newest)
                return
            } catch {
                logger.error("store.commit_failed", metadata: ["store.path": "\(path)", "store.error": "\(error)", "store.retry_ms": "\(delayMs)"])
                Thread.sleep(forTimeInterval: Double(delayMs) / 1000)
                delayMs = min(delayMs * 2, 1000)
            }
        }
    }

    /// Deletes the trees and progress of the workflows `ids` (a commit's forgets, together: a
    /// statement per table, not four per workflow), and their claims on the chunks that hold
    /// their steps. A chunk wholly older than `oldestWhole` loses their steps (and goes with the
    /// last claim on it); a newer one stays part of the log, pruned in order with the rest
    /// (deleting it would punch a hole in the log).
    /// - Parameters:
    ///   - ids: The workflows forgotten, after every other write of the commit.
    ///   - oldestWhole: The oldest sequence the log holds whole.
    ///   - db: The commit's connection.
    /// - Returns: How many events it deleted.
    private static func forget(_ ids: [String], oldestWhole: UInt64, in db: Database) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let list = jsonArray(of: ids)
        let olderChunks = try Int64.fetchAll(
            db.cachedStatement(sql: """
                SELECT first_sequence FROM event_chunks
                WHERE first_sequence IN (
                    SELECT chunk FROM chunk_steps WHERE workflow_id IN (SELECT value FROM json_each(?1)) AND chunk < ?2
                ) AND last_sequence < ?2
                """),
            arguments: [list, Int64(oldestWhole)]
        )
        for sql in [
            "DELETE FROM workflows WHERE id IN (SELECT value FROM json_each(?))",
            "DELETE FROM progress WHERE workflow_id IN (SELECT value FROM json_each(?))",
            "DELETE FROM chunk_steps WHERE workflow_id IN (SELECT value FROM json_each(?))",
        ] {
            let delete = BoundStatement(try db.cachedStatement(sql: sql))
            delete.bind(list, at: 1)
            try delete.run()
        }
        var deleted = 0
        for chunk in olderChunks {
            deleted += try keepOnlyClaimedSteps(inChunk: chunk, in: db)
        }
        return deleted
    }

    /// `strings` as a JSON array, for SQLite's `json_each`.
    /// - Parameter strings: Workflow ids; none holds a NUL, at which `json_each` would cut it.
    static func jsonArray(of strings: [String]) -> String {
        var json = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { json += "," }
            json += "\""
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: json.unicodeScalars.append(scalar)
                }
            }
            json += "\""
        }
        return json + "]"
    }

    /// Reduces chunk `first`, which the log no longer holds whole, to the steps of the
    /// workflows that claim it (`chunk_steps`), or deletes it when none does: a kept chunk
    /// holds only what a retained workflow reads back, not the other events of its commit.
    /// - Returns: How many events it deleted.
    private static func keepOnlyClaimedSteps(inChunk first: Int64, in db: Database) throws -> Int {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT event_count, body FROM event_chunks WHERE first_sequence = ?"), arguments: [first]
        ) else { return 0 }
        let eventCount: Int = row[0]
        let body = [UInt8](row[1] as Data)
        // The claimants are among the workflows whose steps the chunk holds.
        var owners: [(workflowID: String, record: Range<Int>)] = []
        try EventChunk.forEachRecord(in: body) { _, record in
            if let owner = try RecordCodec.workflowID(ofStepEvent: body, in: record) {
                owners.append((owner, record))
            }
            return true
        }
        let claim = try db.cachedStatement(sql: "SELECT 1 FROM chunk_steps WHERE workflow_id = ? AND chunk = ? LIMIT 1")
        var claimants: Set<String> = []
        for workflowID in Set(owners.map(\.workflowID)) where try Bool.fetchOne(claim, arguments: [workflowID, first]) != nil {
            claimants.insert(workflowID)
        }
        guard !claimants.isEmpty else {
            try deleteChunk(first, in: db)
            return eventCount
        }
        var kept = BinaryWriter(capacity: body.count)
        var keptCount = 0
        for (workflowID, record) in owners where claimants.contains(workflowID) {
            kept.setFixedUInt32(UInt32(record.count), at: kept.reserveFixedUInt32())
            kept.write(raw: body[record])
            keptCount += 1
        }
        if keptCount < eventCount {
            let update = BoundStatement(try db.cachedStatement(sql: "UPDATE event_chunks SET event_count = ?1, body = ?3 WHERE first_sequence = ?2"))
            update.bind(Int64(keptCount), at: 1)
            update.bind(first, at: 2)
            try update.run(binding: kept.bytes, at: 3)
        }
        return eventCount - keptCount
    }

    /// Deletes chunk `first`, one statement for pruning and forgetting.
    private static func deleteChunk(_ first: Int64, in db: Database) throws {
        let delete = BoundStatement(try db.cachedStatement(sql: "DELETE FROM event_chunks WHERE first_sequence = ?"))
        delete.bind(first, at: 1)
        try delete.run()
    }

    /// Inserts `chunk` (unless empty) and the counts of the steps it holds, then empties it.
    private static func write(_ chunk: inout EventChunk, with statements: ChunkStatements) throws {
        guard !chunk.isEmpty else { return }
        let first = Int64(chunk.firstSequence)
        statements.insertChunk.bind(first, at: 1)
        statements.insertChunk.bind(Int64(chunk.lastSequence), at: 2)
        statements.insertChunk.bind(Int64(chunk.eventCount), at: 3)
        try statements.insertChunk.run(binding: chunk.body.bytes, at: 4)
        for (job, count) in chunk.stepCounts {
            statements.insertSteps.bind(job.workflowID, at: 1)
            statements.insertSteps.bind(first, at: 2)
            statements.insertSteps.bind(Int64(job.jobPosition), at: 3)
            statements.insertSteps.bind(Int64(count), at: 4)
            try statements.insertSteps.run()
        }
        chunk.removeAll()
    }

    /// The inserts of a chunk and of its step counts, prepared once per commit.
    private struct ChunkStatements {
        let insertChunk: BoundStatement
        let insertSteps: BoundStatement

        init(_ db: Database) throws {
            insertChunk = BoundStatement(
                try db.cachedStatement(sql: "INSERT INTO event_chunks (first_sequence, last_sequence, event_count, body) VALUES (?, ?, ?, ?)")
            )
            insertSteps = BoundStatement(
                try db.cachedStatement(sql: "INSERT INTO chunk_steps (workflow_id, chunk, job_position, steps) VALUES (?, ?, ?, ?)")
            )
        }
    }

    /// Writes one batch and prunes the oldest events beyond the retention.
    /// - Returns: The newest committed sequence.
    private func commit(_ writes: [StoreWrite]) throws -> UInt64 {
        let retention = UInt64(configuration.eventRetention)
        var (oldest, newest) = bounds.withLock { $0 }
        // Counted once the transaction is committed: one that fails is tried again.
        var pruned = 0
        try pool.write { db in
            let chunkStatements = try ChunkStatements(db)
            let upsertProgress = BoundStatement(try db.cachedStatement(sql: "INSERT OR REPLACE INTO progress (job_id, workflow_id, progress, message) VALUES (?, ?, ?, ?)"))
            let upsertWorkflow = BoundStatement(try db.cachedStatement(sql: "INSERT OR REPLACE INTO workflows (id, first_sequence, status, finished_at_ms, body) VALUES (?, ?, ?, ?, ?)"))
            let upsertRecord = BoundStatement(try db.cachedStatement(sql: """
                INSERT INTO records (collection, key, revision, body) VALUES (?, ?, ?, ?)
                ON CONFLICT (collection, key) DO UPDATE SET revision = excluded.revision, body = excluded.body
                WHERE excluded.revision > records.revision
                """))
            // Within one batch only a job's last progress matters (and a workflow's last snapshot).
            var progressByJob: [String: (workflowID: String, progress: Double, message: String)] = [:]
            // Jobs whose new attempt started: a row an earlier attempt left is stale.
            var restartedJobs: [String] = []
            // Workflows forgotten, forgotten together once the writes are done.
            var forgotten: [String] = []
            // The batch's events, a chunk at a time: each is bound in place, then emptied.
            var chunk = EventChunk()
            // Through the buffer, each write is borrowed where it lies; a `for` loop would copy
            // it out first (a retain and a release of each write's payload).
            try writes.withUnsafeBufferPointer { writes in
                var lastSnapshot: [String: Int] = [:]
                for index in writes.indices {
                    if let id = writes[index].snapshotWorkflowID {
                        lastSnapshot[id] = index
                    }
                }
                for index in writes.indices {
                    switch writes[index] {
                    case .events(let events):
                        // By index: the events are read in place, not copied field by field.
                        for index in events.indices {
                            let event = events[index]
                            chunk.append(event)
                            if chunk.isFull {
                                try Self.write(&chunk, with: chunkStatements)
                            }
                            if event.kind == .progressUpdated, let job = event.job, let progress = event.progress {
                                progressByJob[job.id] = (event.workflowID, progress, event.progressMessage)
                            } else if !progressByJob.isEmpty, event.jobStatus?.isTerminal == true, let job = event.job {
                                // Ended in the same batch: its snapshot holds its last progress,
                                // and recovery reads the table for running jobs only.
                                progressByJob[job.id] = nil
                            } else if event.kind == .jobStarted, event.attempt > 1, let job = event.job {
                                // A later attempt (or a retried workflow's run) starts from no
                                // progress, as its snapshot says; a first one has no row yet.
                                progressByJob[job.id] = nil
                                restartedJobs.append(job.id)
                            }
                            newest = max(newest, event.sequence)
                            if oldest == 0 { oldest = event.sequence }
                        }
                    case .workflow(let workflow, let firstSequence):
                        assert(!forgotten.contains(workflow.id), "a snapshot of \(workflow.id) after its forget")
                        guard lastSnapshot[workflow.id] == index else { continue }
                        upsertWorkflow.bind(workflow.id, at: 1)
                        upsertWorkflow.bind(Int64(firstSequence), at: 2)
                        upsertWorkflow.bind(workflow.status.description, at: 3)
                        upsertWorkflow.bind(workflow.finishedAtMs, at: 4)
                        try upsertWorkflow.run(binding: RecordCodec.encode(workflow), at: 5)
                    case .records(let records):
                        for record in records {
                            upsertRecord.bind(record.collection, at: 1)
                            upsertRecord.bind(record.key, at: 2)
                            upsertRecord.bind(Int64(bitPattern: record.revision), at: 3)
                            try upsertRecord.run(binding: record.body, at: 4)
                        }
                    case .forget(let workflowID):
                        // Applied once the commit's chunks are written, claims included (writing
                        // the chunk being filled here cut chunks to the events between two forgets).
                        forgotten.append(workflowID)
                    }
                }
            }
            try Self.write(&chunk, with: chunkStatements)
            // After the commit's writes: nothing of the engine's writes a forgotten workflow again.
            if !forgotten.isEmpty {
                let ids = Set(forgotten)
                progressByJob = progressByJob.filter { !ids.contains($0.value.workflowID) }
                pruned += try Self.forget(forgotten, oldestWhole: oldest, in: db)
            }
            if !restartedJobs.isEmpty {
                let deleteProgress = BoundStatement(try db.cachedStatement(sql: "DELETE FROM progress WHERE job_id = ?"))
                for jobID in restartedJobs {
                    deleteProgress.bind(jobID, at: 1)
                    try deleteProgress.run()
                }
            }
            for (jobID, progress) in progressByJob {
                upsertProgress.bind(jobID, at: 1)
                upsertProgress.bind(progress.workflowID, at: 2)
                upsertProgress.bind(progress.progress, at: 3)
                upsertProgress.bind(progress.message, at: 4)
                try upsertProgress.run()
            }
            // Prune in order, and in batches (a tenth of the retention) to keep commits short,
            // the chunks wholly older than the retention from the one holding `oldest` on; one
            // with steps of a retained workflow keeps them until they are all forgotten.
            if newest >= oldest + retention + max(1, retention / 10) {
                let firstKept = newest - retention + 1
                let from = try Int64.fetchOne(db, sql: "SELECT max(first_sequence) FROM event_chunks WHERE first_sequence <= ?", arguments: [Int64(oldest)]) ?? 0
                let arguments: StatementArguments = [from, Int64(firstKept)]
                // How many steps of retained workflows each chunk holds: a chunk that holds
                // nothing else stays as it is, unread.
                var claimedSteps: [Int64: Int] = [:]
                let claims = try Row.fetchCursor(
                    db, sql: "SELECT chunk, sum(steps) FROM chunk_steps WHERE chunk >= ?1 AND chunk < ?2 GROUP BY chunk", arguments: arguments
                )
                while let claim = try claims.next() {
                    claimedSteps[claim[0]] = claim[1]
                }
                let older = try Row.fetchAll(
                    db, sql: "SELECT first_sequence, event_count FROM event_chunks WHERE first_sequence >= ?1 AND first_sequence < ?2 AND last_sequence < ?2",
                    arguments: arguments
                )
                for row in older {
                    let chunk: Int64 = row[0]
                    let eventCount: Int = row[1]
                    switch claimedSteps[chunk] {
                    case nil:
                        try Self.deleteChunk(chunk, in: db)
                        pruned += eventCount
                    case let steps? where steps < eventCount:
                        pruned += try Self.keepOnlyClaimedSteps(inChunk: chunk, in: db)
                    case .some:
                        break
                    }
                }
                try db.execute(sql: "INSERT OR REPLACE INTO bounds (name, sequence) VALUES ('oldest_event', ?)", arguments: [Int64(firstKept)])
                oldest = firstKept
            }
        }
        bounds.withLock { $0 = (oldest, newest) }
        if pruned > 0 {
            metrics.prunedEvents.increment(by: UInt64(pruned))
        }
        commitsSinceCheckpoint.add(1, ordering: .relaxed)
        return newest
    }

    package func events(after sequence: UInt64, through: UInt64, limit: Int) throws -> [WorkflowModel.LogEvent] {
        try events(after: sequence, through: through, matching: .all, scanLimit: limit, limit: limit).events
    }

    package func events(
        after sequence: UInt64, through: UInt64, matching filter: EventFilter, scanLimit: Int, limit: Int
    ) throws -> StoredEventScan {
        try pool.read { db in
            // Below the oldest whole sequence (read in the same snapshot) are what pruning left,
            // steps kept for their workflows and the head of the chunk holding it: never part
            // of a replay.
            let oldestWhole = try Int64.fetchOne(db.cachedStatement(sql: "SELECT sequence FROM bounds WHERE name = 'oldest_event'")) ?? 1
            let after = max(sequence, UInt64(max(1, oldestWhole)) - 1)
            var scan = StoredEventScan.Builder(matching: filter, limit: limit)
            guard after < through, scanLimit > 0 else { return scan.scan }
            // From the chunk that holds the event after `after` (or the first one after it).
            let chunks = try Row.fetchCursor(
                db.cachedStatement(sql: """
                    SELECT body FROM event_chunks
                    WHERE first_sequence >= coalesce((SELECT first_sequence FROM event_chunks WHERE first_sequence <= ?1 ORDER BY first_sequence DESC LIMIT 1), 0)
                    AND first_sequence <= ?2 ORDER BY first_sequence
                    """),
                arguments: [Int64(after + 1), Int64(clamping: through)]
            )
            // With a workflow named, another workflow's event is told by its record's first
            // fields: it is neither decoded nor copied out.
            let workflowID = filter.workflowID.map { Array($0.utf8) }
            var examined = 0
            var goesOn = true
            while goesOn, let row = try chunks.next() {
                let body = [UInt8](row[0] as Data)
                try EventChunk.forEachRecord(in: body) { sequence, record in
                    guard sequence > after else { return true }
                    guard sequence <= through, examined < scanLimit else {
                        goesOn = false
                        return false
                    }
                    examined += 1
                    goesOn = try scan.examine(sequence) {
                        if let workflowID, try !RecordCodec.isEvent(body, in: record, ofWorkflow: workflowID) { return nil }
                        return try RecordCodec.decodeEvent(body, in: record)
                    }
                    return goesOn
                }
            }
            return scan.scan
        }
    }

    package func records(in collection: String) throws -> [StoredRecord] {
        do {
            return try pool.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT key, revision, body FROM records WHERE collection = ?", arguments: [collection])
                var records: [StoredRecord] = []
                while let row = try rows.next() {
                    records.append(
                        StoredRecord(collection: collection, key: row[0], revision: UInt64(bitPattern: row[1] as Int64), body: [UInt8](row[2] as Data))
                    )
                }
                return records
            }
        } catch {
            throw StoreError("cannot read the \(collection) records of the data store \(path): \(error)")
        }
    }

    package func steps(ofWorkflow id: String, through: UInt64, jobIDs: [String]) throws -> [StoredStep] {
        try pool.read { db in
            var steps: [StoredStep] = []
            try Self.forEachStep(ofWorkflow: id, through: through, jobIDs: jobIDs, in: db) { steps.append($0) }
            return steps
        }
    }

    package func workflow(id: String, stepsThrough: UInt64?) throws -> Workflow? {
        try pool.read { db in try Self.workflow(id: id, stepsThrough: stepsThrough, in: db) }
    }

    package func workflows(ids: [String]) throws -> [String: Workflow] {
        try pool.read { db in
            var workflows: [String: Workflow] = [:]
            for id in ids {
                workflows[id] = try Self.workflow(id: id, stepsThrough: nil, in: db)
            }
            return workflows
        }
    }

    /// Calls `body` with each of workflow `id`'s stored steps through `sequence`, oldest first,
    /// read from the chunks that count them; the chunks' other events are told apart by their
    /// records' first fields, never decoded. Steps share their ids' prefixes with `jobIDs`
    /// (the workflow's job ids by position, when known).
    private static func forEachStep(
        ofWorkflow id: String, through sequence: UInt64, jobIDs: [String], in db: Database, _ body: (StoredStep) -> Void
    ) throws {
        let chunks = try Row.fetchCursor(
            db.cachedStatement(sql: """
                SELECT body FROM event_chunks
                WHERE first_sequence IN (SELECT chunk FROM chunk_steps WHERE workflow_id = ?1 AND chunk <= ?2) ORDER BY first_sequence
                """),
            arguments: [id, Int64(clamping: sequence)]
        )
        let workflowID = Array(id.utf8)
        while let row = try chunks.next() {
            let chunk = [UInt8](row[0] as Data)
            try EventChunk.forEachRecord(in: chunk) { recordSequence, record in
                guard recordSequence <= sequence else { return false }
                if let step = try RecordCodec.storedStep(ofEvent: chunk, in: record, ofWorkflow: workflowID, jobIDs: jobIDs) {
                    body(step)
                }
                return true
            }
        }
    }

    /// Appends `workflow`'s stored steps with sequences up to `sequence` to its jobs, in order, in
    /// place of their counts of stored steps.
    private static func readSteps(through sequence: UInt64, into workflow: inout Workflow, in db: Database) throws {
        for position in workflow.jobs.indices {
            workflow.jobs[position].storedStepCount = 0
        }
        try forEachStep(ofWorkflow: workflow.id, through: sequence, jobIDs: workflow.jobs.map(\.id), in: db) { stored in
            guard workflow.jobs.indices.contains(stored.jobPosition) else { return }
            workflow.jobs[stored.jobPosition].steps.append(stored.step)
        }
    }

    /// ``workflow(id:stepsThrough:)`` inside a read of `db`. Its statements are cached: a
    /// statement GRDB prepares afresh asks its authorizer about every column it reads.
    private static func workflow(id: String, stepsThrough: UInt64?, in db: Database) throws -> Workflow? {
        guard let body = try Data.fetchOne(db.cachedStatement(sql: "SELECT body FROM workflows WHERE id = ?"), arguments: [id]) else {
            return nil
        }
        var workflow = try RecordCodec.decodeWorkflow([UInt8](body))
        if let stepsThrough {
            try readSteps(through: stepsThrough, into: &workflow, in: db)
        } else if workflow.jobs.allSatisfy({ $0.storedStepCount == 0 }) {
            // Written before snapshots counted their steps (or none logged any): count them.
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT job_position, sum(steps) FROM chunk_steps WHERE workflow_id = ? GROUP BY job_position",
                arguments: [id]
            )
            while let row = try rows.next() {
                let position = row[0] as Int
                guard workflow.jobs.indices.contains(position) else { continue }
                workflow.jobs[position].storedStepCount = row[1]
            }
        }
        return workflow
    }

    package func recover() throws -> RecoveredState {
        do {
            return try pool.read { db in
                var workflows: [RecoveredState.StoredWorkflow] = []
                var indexByID: [String: Int] = [:]
                var running: [String] = []
                let rows = try Row.fetchCursor(db, sql: "SELECT body, first_sequence FROM workflows ORDER BY id")
                while let row = try rows.next() {
                    let workflow = try RecordCodec.decodeWorkflow([UInt8](row[0] as Data))
                    indexByID[workflow.id] = workflows.count
                    workflows.append(.init(workflow: workflow, firstSequence: UInt64(row[1] as Int64)))
                    if workflow.status == .running {
                        running.append(workflow.id)
                    }
                }
                var lastSequence = UInt64(try Int64.fetchOne(db, sql: "SELECT last_sequence FROM event_chunks ORDER BY first_sequence DESC LIMIT 1") ?? 0)
                // An ended workflow's steps stay in the store, counted; a running one's are loaded.
                let counts = try Row.fetchCursor(
                    db,
                    sql: "SELECT workflow_id, job_position, sum(steps) FROM chunk_steps GROUP BY workflow_id, job_position"
                )
                while let row = try counts.next() {
                    guard let index = indexByID[row[0] as String] else { continue }
                    let position = row[1] as Int
                    guard workflows[index].workflow.status != .running,
                          workflows[index].workflow.jobs.indices.contains(position)
                    else { continue }
                    workflows[index].workflow.jobs[position].storedStepCount = row[2] as Int
                }
                for id in running {
                    guard let index = indexByID[id] else { continue }
                    try Self.readSteps(through: .max, into: &workflows[index].workflow, in: db)
                }
                let progress = try Row.fetchCursor(db, sql: "SELECT job_id, workflow_id, progress, message FROM progress")
                while let row = try progress.next() {
                    guard let index = indexByID[row[1] as String],
                          let position = workflows[index].workflow.jobs.firstIndex(where: { $0.id == row[0] as String }),
                          workflows[index].workflow.jobs[position].status == .running
                    else { continue }
                    workflows[index].workflow.jobs[position].progress = row[2] as Double
                    workflows[index].workflow.jobs[position].progressMessage = row[3] as String
                }
                for stored in workflows {
                    lastSequence = max(lastSequence, stored.firstSequence)
                }
                return RecoveredState(workflows: workflows, lastSequence: lastSequence)
            }
        } catch {
            throw StoreError("cannot read the data store \(path): \(error); move the file away to start empty, or restore it from a backup")
        }
    }
}

extension StoreWrite {
    /// The workflow's ID when this is a snapshot (a pattern in a getter borrows the payload).
    fileprivate var snapshotWorkflowID: String? {
        if case .workflow(let workflow, _) = self { workflow.id } else { nil }
    }
}
