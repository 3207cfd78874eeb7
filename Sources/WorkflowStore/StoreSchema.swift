import GRDB

/// The store's tables, created and evolved by numbered migrations.
///
/// - `events`: the log, one row per event (`body` is the event in `RecordCodec`'s binary format), by sequence.
/// - `workflows`: each retained workflow's state without steps (`body`, binary) and its first
///   sequence; `status` holds the API's name (`RUNNING`, …) for people reading the file, and the
///   store never reads it back.
/// - `steps`: every step of a retained workflow (`body`, binary), by sequence.
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
        return migrator
    }
}
