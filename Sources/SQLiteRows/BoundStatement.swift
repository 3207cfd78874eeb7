import GRDB
internal import GRDBSQLite

/// A statement GRDB prepared, run row after row with its values bound through SQLite's C API:
/// no argument array, no boxed values, and a blob read where it lies instead of copied.
///
/// For the store's hot inserts, where GRDB's `execute(arguments:)` cost more than SQLite's own
/// work. Use it only inside a write GRDB opened (`DatabaseWriter.write`), on that thread.
///
/// ```swift
/// let insert = BoundStatement(try db.cachedStatement(sql: "INSERT INTO events (sequence, body) VALUES (?, ?)"))
/// insert.bind(Int64(event.sequence), at: 1)
/// try insert.run(binding: body, at: 2)
/// ```
///
/// The `sqlite3_bind_*` calls' results are not checked: with the statement's SQL fixed by the
/// caller they fail only for a parameter index out of range (a programming error) or for want
/// of memory, which the step then reports.
package struct BoundStatement {
    private let statement: Statement
    private let handle: SQLiteStatement

    /// Wraps `statement`; its connection must be the one GRDB writes with.
    package init(_ statement: Statement) {
        self.statement = statement
        handle = statement.sqliteStatement
    }

    /// Binds `value` to the parameter at `index` (1-based).
    package func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds `value` to the parameter at `index` (1-based).
    package func bind(_ value: Double, at index: Int32) {
        sqlite3_bind_double(handle, index, value)
    }

    /// Binds `value`, or NULL when it is nil, to the parameter at `index` (1-based).
    package func bind(_ value: Int64?, at index: Int32) {
        if let value {
            sqlite3_bind_int64(handle, index, value)
        } else {
            sqlite3_bind_null(handle, index)
        }
    }

    /// Binds NULL to the parameter at `index` (1-based).
    package func bindNull(at index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    /// Binds `text` to the parameter at `index` (1-based); SQLite keeps a copy. Texts are
    /// identifiers and messages, far below SQLite's 2 GiB limit (requests are at most 4 MiB).
    package func bind(_ text: String, at index: Int32) {
        var text = text
        text.withUTF8 { utf8 in
            // An empty buffer may have no address, and a NULL pointer would bind NULL, not "".
            let bytes = utf8.baseAddress.map { UnsafeRawPointer($0) } ?? Self.emptyValue
            sqlite3_bind_text(handle, index, bytes.assumingMemoryBound(to: CChar.self), Int32(utf8.count), Self.transient)
        }
    }

    /// Runs the statement with `blob` bound at `index` (1-based; read in place for the run's
    /// duration), then readies it for the next row.
    ///
    /// - Throws: `DatabaseError` with SQLite's code and message when the statement fails.
    package func run(binding blob: [UInt8], at index: Int32) throws {
        guard let count = Int32(exactly: blob.count) else {
            throw DatabaseError(resultCode: .SQLITE_TOOBIG, message: "a blob of \(blob.count) bytes", sql: statement.sql)
        }
        let failure = blob.withUnsafeBytes { bytes -> DatabaseError? in
            sqlite3_bind_blob(handle, index, bytes.baseAddress ?? Self.emptyValue, count, nil)
            defer { sqlite3_bind_null(handle, index) }
            return step()
        }
        if let failure { throw failure }
    }

    /// Runs the statement with the values bound so far, then readies it for the next row.
    ///
    /// - Throws: `DatabaseError` with SQLite's code and message when the statement fails.
    package func run() throws {
        if let failure = step() { throw failure }
    }

    /// Steps the statement to its end and resets it.
    /// - Returns: The error, with SQLite's message read before the reset, when it failed.
    private func step() -> DatabaseError? {
        let code = sqlite3_step(handle)
        // GRDB's `Statement.sql` trims the text each time it is read: only for an error.
        let failure = code == SQLITE_DONE
            ? nil
            : DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: sqlite3_db_handle(handle).map { String(cString: sqlite3_errmsg($0)) },
                sql: statement.sql
            )
        sqlite3_reset(handle)
        return failure
    }

    /// SQLite's `SQLITE_TRANSIENT`: copy the value now (a macro Swift does not import).
    private static var transient: sqlite3_destructor_type {
        unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    }

    /// A valid address for an empty text or blob.
    private static var emptyValue: UnsafeRawPointer {
        UnsafeRawPointer(("" as StaticString).utf8Start)
    }
}
