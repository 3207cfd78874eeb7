import Foundation
import GRDB
import SQLiteRows
import Testing

@Suite("BoundStatement")
struct BoundStatementTests {
    private func withDatabase(_ body: (Database) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bound-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("rows.sqlite").path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT, size REAL, finished INTEGER, body BLOB NOT NULL)")
            try body(db)
        }
    }

    @Test("values bound through the C API read back as bound: an empty text is \"\", not NULL; nil is NULL; a blob keeps its bytes")
    func roundTrip() throws {
        try withDatabase { db in
            let insert = BoundStatement(try db.cachedStatement(sql: "INSERT INTO rows (id, name, size, finished, body) VALUES (?, ?, ?, ?, ?)"))
            insert.bind(Int64(1), at: 1)
            insert.bind("", at: 2)
            insert.bind(0.5, at: 3)
            insert.bind(nil as Int64?, at: 4)
            try insert.run(binding: [], at: 5)
            insert.bind(Int64(2), at: 1)
            insert.bind("ü ✓", at: 2)
            insert.bind(2.0, at: 3)
            insert.bind(Int64?.some(-7), at: 4)
            try insert.run(binding: [0, 1, 255], at: 5)
            let rows = try Row.fetchAll(db, sql: "SELECT id, name, size, finished, body FROM rows ORDER BY id")
            #expect(rows.count == 2)
            #expect(rows[0]["name"] as String? == "")
            #expect(rows[0]["finished"] as Int64? == nil)
            #expect(rows[0]["body"] as Data? == Data())
            #expect(rows[1]["name"] as String? == "ü ✓")
            #expect(rows[1]["size"] as Double? == 2.0)
            #expect(rows[1]["finished"] as Int64? == -7)
            #expect(rows[1]["body"] as Data? == Data([0, 1, 255]))
        }
    }

    @Test("a failing row throws SQLite's code and message, and the statement runs again afterwards")
    func failure() throws {
        try withDatabase { db in
            let insert = BoundStatement(try db.cachedStatement(sql: "INSERT INTO rows (id, body) VALUES (?, ?)"))
            insert.bind(Int64(1), at: 1)
            try insert.run(binding: [1], at: 2)
            insert.bind(Int64(1), at: 1)
            let error = try #require(throws: DatabaseError.self) { try insert.run(binding: [2], at: 2) }
            #expect(error.resultCode == .SQLITE_CONSTRAINT)
            #expect(error.message?.contains("rows.id") == true)
            insert.bind(Int64(2), at: 1)
            try insert.run(binding: [3], at: 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM rows") == 2)
        }
    }
}
