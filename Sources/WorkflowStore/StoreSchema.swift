import Foundation
import GRDB
import WorkflowModel

/// The store's tables, created and evolved by numbered migrations.
///
/// - `event_chunks` (v4): the log, consecutive events of a commit per row (``EventChunk``: each
///   event in `RecordCodec`'s binary format), by the first and last sequence a row holds; rows
///   never overlap. Once the log no longer holds a row whole, it keeps only the steps of the
///   retained workflows that claim it, and goes with the last of them.
/// - `chunk_steps` (v4): how many steps of each job of a workflow each chunk holds: how a
///   workflow's steps are found and counted, and the claims that keep their chunks. It has no
///   index by chunk: that would cost every commit a third b-tree, for the pruning that reads
///   the claims once per tenth of the retention.
/// - `events` (v1–v3): the log, one row per event; a step event (v3) also named its job's
///   `job_position`. v4 packed the rows, in order, into chunks, in the migration's one
///   transaction (the WAL grows to about the log's size once).
/// - `bounds` (v3): `oldest_event`, the oldest sequence the log still holds whole (below it:
///   kept steps, and the head of the chunk that holds it); absent until the first prune.
/// - `workflows`: each retained workflow's state without steps (`body`, binary) and its first
///   sequence; `status` holds the API's name (`RUNNING`, …) for people reading the file, and the
///   store never reads it back.
/// - `steps` (v1, v2): every step of a retained workflow, a second row beside its event; v3 moved
///   them into `events`.
/// - `progress`: the newest progress of each job, for jobs interrupted between lifecycle events.
/// - `records` (v2): what jobs keep next to the steps that report them (the asset registry),
///   one row per collection and key, the highest revision winning.
///
/// Enums inside the binary bodies are numbers of their own (``StoreCoded``); a migration that
/// changed what a number means would have to rewrite every body that holds it.
enum StoreSchema {
    /// The migrator for every version of the schema; a migration, once shipped, never changes.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    sequence INTEGER PRIMARY KEY,
                    workflow_id TEXT NOT NULL,
                    timestamp_ms INTEGER NOT NULL,
                    body BLOB NOT NULL
                );
                CREATE TABLE workflows (
                    id TEXT PRIMARY KEY,
                    first_sequence INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    finished_at_ms INTEGER,
                    body BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE steps (
                    sequence INTEGER PRIMARY KEY,
                    workflow_id TEXT NOT NULL,
                    job_position INTEGER NOT NULL,
                    body BLOB NOT NULL
                );
                CREATE INDEX steps_by_workflow ON steps(workflow_id);
                CREATE TABLE progress (
                    job_id TEXT PRIMARY KEY,
                    workflow_id TEXT NOT NULL,
                    progress REAL NOT NULL,
                    message TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX progress_by_workflow ON progress(workflow_id);
                """)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE records (
                    collection TEXT NOT NULL,
                    key TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    PRIMARY KEY (collection, key)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN job_position INTEGER;
                CREATE TABLE bounds (name TEXT PRIMARY KEY, sequence INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO bounds (name, sequence) SELECT 'oldest_event', sequence FROM events ORDER BY sequence LIMIT 1;
                UPDATE events SET job_position = (SELECT job_position FROM steps WHERE steps.sequence = events.sequence)
                    WHERE sequence IN (SELECT sequence FROM steps WHERE workflow_id IN (SELECT id FROM workflows));
                """)
            try moveStepsPrunedFromEvents(db)
            try db.execute(sql: """
                DROP TABLE steps;
                CREATE INDEX events_steps_by_workflow ON events(workflow_id, sequence) WHERE job_position IS NOT NULL;
                """)
        }
        migrator.registerMigration("v4") { db in
            try db.execute(sql: """
                CREATE TABLE event_chunks (
                    first_sequence INTEGER PRIMARY KEY,
                    last_sequence INTEGER NOT NULL,
                    event_count INTEGER NOT NULL,
                    body BLOB NOT NULL
                );
                CREATE TABLE chunk_steps (
                    workflow_id TEXT NOT NULL,
                    chunk INTEGER NOT NULL,
                    job_position INTEGER NOT NULL,
                    steps INTEGER NOT NULL,
                    PRIMARY KEY (workflow_id, chunk, job_position)
                ) WITHOUT ROWID;
                """)
            try moveEventsIntoChunks(db)
            try db.execute(sql: "DROP TABLE events")
        }
        return migrator
    }

    /// v4: every row of `events`, in order, into chunks of up to ``EventChunk/maxEvents``
    /// events; bodies are copied as they are, and a row with a `job_position` is counted as its
    /// workflow's step. It writes with today's `EventChunk`, as v3 does with today's codec: a
    /// later change to the chunk's layout must keep reading what v4 wrote.
    private static func moveEventsIntoChunks(_ db: Database) throws {
        let insertChunk = try db.makeStatement(sql: "INSERT INTO event_chunks (first_sequence, last_sequence, event_count, body) VALUES (?, ?, ?, ?)")
        let insertSteps = try db.makeStatement(sql: "INSERT INTO chunk_steps (workflow_id, chunk, job_position, steps) VALUES (?, ?, ?, ?)")
        var chunk = EventChunk()
        func write() throws {
            guard !chunk.isEmpty else { return }
            let first = Int64(chunk.firstSequence)
            try insertChunk.execute(arguments: [first, Int64(chunk.lastSequence), chunk.eventCount, Data(chunk.body.bytes)])
            for (job, count) in chunk.stepCounts {
                try insertSteps.execute(arguments: [job.workflowID, first, job.jobPosition, count])
            }
            chunk.removeAll()
        }
        let rows = try Row.fetchCursor(db, sql: "SELECT sequence, workflow_id, job_position, body FROM events ORDER BY sequence")
        while let row = try rows.next() {
            let position: Int? = row[2]
            chunk.append(
                record: [UInt8](row[3] as Data), sequence: UInt64(row[0] as Int64),
                stepOf: position.map { EventChunk.StepsOfJob(workflowID: row[1], jobPosition: $0) }
            )
            if chunk.isFull {
                try write()
            }
        }
        try write()
    }

    /// Unlike the SQL-only migrations before it, v3 reads and writes bodies with today's
    /// `RecordCodec` and model types: a later change to them must keep decoding what v2 wrote
    /// (the codec only ever appends fields, so it does).
    ///
    /// Writes the `stepLogged` event of each step whose event was pruned from `events` (v2 kept
    /// steps of retained workflows in `steps` past the retention), made from the step and its
    /// workflow's stored tree, as the engine made it. A step whose workflow is not stored
    /// belonged to no readable tree and is dropped.
    private static func moveStepsPrunedFromEvents(_ db: Database) throws {
        let insert = try db.makeStatement(sql: "INSERT INTO events (sequence, workflow_id, timestamp_ms, body, job_position) VALUES (?, ?, ?, ?, ?)")
        var workflows: [String: Workflow] = [:]
        var after: Int64 = 0
        while true {
            let rows = try Row.fetchAll(db, sql: """
                SELECT sequence, workflow_id, job_position, body FROM steps
                WHERE sequence > ? AND NOT EXISTS (SELECT 1 FROM events WHERE events.sequence = steps.sequence)
                ORDER BY sequence LIMIT 10000
                """, arguments: [after])
            guard let last = rows.last else { return }
            after = last[0]
            for row in rows {
                let workflowID: String = row[1]
                let position: Int = row[2]
                if workflows[workflowID] == nil,
                   let body = try Data.fetchOne(db, sql: "SELECT body FROM workflows WHERE id = ?", arguments: [workflowID]) {
                    workflows[workflowID] = try RecordCodec.decodeWorkflow([UInt8](body))
                }
                guard let workflow = workflows[workflowID], workflow.jobs.indices.contains(position) else { continue }
                let step = try RecordCodec.decodeStep([UInt8](row[3] as Data))
                let event = LogEvent.stepLogged(step, of: workflow.jobs[position], in: workflow)
                try insert.execute(arguments: [row[0] as Int64, workflowID, step.timestampMs, Data(RecordCodec.encode(event)), position])
            }
        }
    }
}
