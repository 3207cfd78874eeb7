import Crypto
import Foundation
import Testing
import WorkflowEngine
import WorkflowFiles
import WorkflowModel
import WorkflowStore
@testable import WorkflowTemplates

/// The asset registry and the product workflows across a restart on the real SQLite file.
@Suite("Durable registry")
struct DurableRegistryTests {
    @Test("assets, flags and cables come back after a restart with their ids; an export after it exports them")
    func registrySurvivesARestart() async throws {
        let directory = try TemplateTesting.temporaryDirectory()
        let files = try FileArea(directory: directory + "/files")
        let before: [Asset]
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: TemplateTesting.logger)
            let testing = try TemplateTesting(environment: TemplateEnvironment(assets: AssetRegistry(), files: files), store: store)
            try await testing.engine.restore()
            #expect(try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.csv")]).status == .completed)
            #expect(try await testing.run("RULE_EXECUTION", ["rules_path": TemplateTesting.sample("rules.conf")]).status == .completed)
            before = testing.environment.assets.all()
            await testing.engine.shutdown()
            store.flush()
        }
        #expect(before.count == 12 && before.contains { !$0.flags.isEmpty } && before.contains { $0.type == "Cable" })

        let store = try await Self.reopen(directory)
        let registry = try AssetRegistry(restoring: store.records(in: AssetRegistry.collection))
        #expect(registry.all() == before)
        let testing = try TemplateTesting(environment: TemplateEnvironment(assets: registry, files: files), store: store)
        try await testing.engine.restore()
        let export = try await testing.run("EXPORT_PACKAGE", [:])
        #expect(export.status == .completed)
        #expect(export.result["assets"] == "12")
        let snapshot = try #require(export.artifacts.first { $0.name == "assets.json" })
        let exported = try JSONDecoder().decode([Asset].self, from: Data(contentsOf: URL(fileURLWithPath: files.artifacts.path(of: snapshot))))
        #expect(exported == before)
        let imported = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.csv")])
        #expect(imported.result == ["assets_created": "0", "assets_updated": "0", "assets_unchanged": "10"], "no id reused, nothing created twice")
        await testing.engine.shutdown()
    }

    @Test("ids come only from a reserved block: ids handed out but never committed are not given again after a crash")
    func idsNeverReused() async throws {
        let directory = try TemplateTesting.temporaryDirectory()
        var shown: [String] = []
        do {
            let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: TemplateTesting.logger)
            let registry = try AssetRegistry(store: store)
            // Created in memory, shown to clients, never committed: the crash loses them.
            for number in 1...700 {
                shown.append(registry.upsert(AssetDraft(tag: "P-\(number)", type: "Pump", name: "lost"), by: "wf-1").asset.id)
            }
            #expect(shown.first == "1" && shown.last == "700")
            // Let the background reservation (asked for half way through the block) land.
            for _ in 0..<500 where try store.records(in: AssetRegistry.reservationCollection).first?.body != Array("2000".utf8) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try store.records(in: AssetRegistry.reservationCollection).map(\.body) == [Array("2000".utf8)])
            #expect(try store.records(in: AssetRegistry.collection).isEmpty)
        }
        let store = try await Self.reopen(directory)
        let registry = try AssetRegistry(store: store)
        #expect(registry.count == 0)
        let next = registry.upsert(AssetDraft(tag: "Q-1", type: "Tank", name: "new"), by: "wf-2").asset.id
        #expect(next == "2001", "after the last reserved block, never an id that was shown")
        #expect(try store.records(in: AssetRegistry.reservationCollection).map(\.body) == [Array("3000".utf8)])
    }

    @Test("an asset an abandoned attempt changed in memory, its record lost, is stored by the step that reports it unchanged")
    func unchangedStepsStoreTheirAsset() async throws {
        let directory = try TemplateTesting.temporaryDirectory()
        let store = try SQLiteEventStore(configuration: .init(directory: directory), logger: TemplateTesting.logger)
        let registry = try AssetRegistry(store: store)
        // What an abandoned attempt did: the registry changed, the record (and step) dropped.
        registry.upsert(AssetDraft(tag: "P-101", type: "Pump", name: "Cooling water pump 1", attributes: ["flow_m3h": "120", "location": "Area 100"]), by: "wf-lost")
        let testing = try TemplateTesting(environment: TemplateEnvironment(assets: registry, files: try FileArea.temporary()), store: store)
        try await testing.engine.restore()
        let imported = try await testing.run("IMPORT_ASSETS", ["file_path": TemplateTesting.sample("assets.csv")])
        #expect(imported.result["assets_unchanged"] == "1")
        await testing.engine.shutdown()
        store.flush()
        let stored = try store.records(in: AssetRegistry.collection)
        #expect(stored.count == 10, "every asset a step names is stored, the unchanged one too")
        #expect(try AssetRegistry(restoring: stored).asset(tag: "P-101")?.id == registry.asset(tag: "P-101")?.id)
    }

    /// Opens the store in `directory` again once the previous engine let go of it (its tasks
    /// may hold it for a moment after shutdown).
    static func reopen(_ directory: String) async throws -> SQLiteEventStore {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let store = try? SQLiteEventStore(configuration: .init(directory: directory), logger: TemplateTesting.logger) {
                return store
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try SQLiteEventStore(configuration: .init(directory: directory), logger: TemplateTesting.logger)
    }

    @Test("an import reads an upload by file_id; an unknown id is refused at start")
    func importsAnUpload() async throws {
        let testing = try TemplateTesting()
        let content = try Data(contentsOf: URL(fileURLWithPath: TemplateTesting.sample("assets.csv")))
        let upload = try UploadTesting.store([UInt8](content), name: "assets.csv", in: testing.environment.files.uploads)
        let workflow = try await testing.run("IMPORT_ASSETS", ["file_id": upload.id])
        #expect(workflow.status == .completed)
        #expect(workflow.jobs[0].outputs == ["rows_read": "15", "file_name": "assets.csv", "file_id": upload.id, "sha256": upload.sha256])
        #expect(workflow.jobs[0].steps.first?.entity?.route == "/api/v1/files/\(upload.id)")
        do {
            _ = try await testing.engine.start(WorkflowRequest(type: "IMPORT_ASSETS", params: ["file_id": "f-" + String(repeating: "0", count: 26)]))
            Issue.record("an unknown upload was accepted")
        } catch {
            #expect(error.field == "params.file_id")
        }
        do {
            _ = try await testing.engine.start(WorkflowRequest(type: "IMPORT_ASSETS", params: ["file_id": upload.id, "file_path": "/x.csv"]))
            Issue.record("both a file_id and a file_path were accepted")
        } catch {
            #expect(error.message == "params.file_id: give file_id or file_path, not both")
        }
    }
}

/// Stores uploads for the tests.
enum UploadTesting {
    static func store(_ content: [UInt8], name: String, in uploads: UploadStore) throws -> UploadedFile {
        let digest = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
        let writer = try uploads.begin(UploadDescription(name: name, contentType: "text/csv", sha256: digest))
        try content.withUnsafeBytes { buffer -> Result<Void, FileStoreError> in
            Result { () throws(FileStoreError) in try writer.append(buffer) }
        }.get()
        return try writer.finish()
    }
}
