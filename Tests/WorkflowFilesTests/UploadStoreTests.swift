import Crypto
import Foundation
import Testing
@testable import WorkflowFiles
import WorkflowModel

@Suite("Upload store")
struct UploadStoreTests {
    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("uploads-\(UUID().uuidString)").path
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The files under the store's directory and its `tmp/`, sorted.
    static func files(_ store: UploadStore) -> [String] {
        (FileSystem.entries(of: store.directory).filter { $0 != "tmp" } + FileSystem.entries(of: store.directory + "/tmp").map { "tmp/" + $0 }).sorted()
    }

    static func append(_ bytes: [UInt8], to writer: UploadWriter) throws(FileStoreError) {
        try bytes.withUnsafeBytes { buffer -> Result<Void, FileStoreError> in
            Result { () throws(FileStoreError) in try writer.append(buffer) }
        }.get()
    }

    @Test("content written in chunks becomes visible only once finished and checked")
    func storesAndDescribes() throws {
        let store = try UploadStore(directory: Self.directory(), limits: .init(maxBytes: 1 << 20, retention: .seconds(60)))
        let content = Array("tag,type\nP-1,Pump\n".utf8)
        let writer = try store.begin(UploadDescription(name: "a.csv", contentType: "", sha256: Self.sha256(content).uppercased(), sizeBytes: Int64(content.count)))
        try Self.append(Array(content[..<5]), to: writer)
        #expect(store.file(id: writer.id) == nil, "not visible while it streams")
        try Self.append(Array(content[5...]), to: writer)
        let file = try writer.finish()
        #expect(file.id == writer.id && UploadStore.isWellFormedID(file.id))
        #expect(file.sizeBytes == Int64(content.count) && file.sha256 == Self.sha256(content))
        #expect(file.contentType == "application/octet-stream" && file.name == "a.csv")
        #expect(file.expiresAtMs - file.createdAtMs == 60_000)
        #expect(store.file(id: file.id) == file)
        #expect(FileManager.default.contents(atPath: store.contentPath(id: file.id)) == Data(content))
        #expect(Self.files(store) == ["\(file.id).data", "\(file.id).json"])
    }

    @Test("a checksum or size mismatch, an oversize file and an abort leave nothing behind")
    func failuresLeaveNothing() throws {
        let store = try UploadStore(directory: Self.directory(), limits: .init(maxBytes: 10, retention: .seconds(60)))
        let content = Array("0123456789".utf8)

        let wrongSum = try store.begin(UploadDescription(name: "a", contentType: "", sha256: String(repeating: "0", count: 64)))
        try Self.append(content, to: wrongSum)
        #expect(throws: FileStoreError.self) { try wrongSum.finish() }
        #expect((try? wrongSum.finish()) == nil)

        let wrongSize = try store.begin(UploadDescription(name: "a", contentType: "", sha256: Self.sha256(content), sizeBytes: 10))
        try Self.append(Array(content[..<9]), to: wrongSize)
        do {
            _ = try wrongSize.finish()
            Issue.record("a short upload finished")
        } catch {
            #expect(error.code == .contentMismatch && error.field == "header.size_bytes")
        }

        let tooLarge = try store.begin(UploadDescription(name: "a", contentType: "", sha256: Self.sha256(content)))
        try Self.append(content, to: tooLarge)
        do {
            try Self.append([0], to: tooLarge)
            Issue.record("the 11th byte was accepted")
        } catch {
            #expect(error.code == .tooLarge)
        }
        do {
            _ = try store.begin(UploadDescription(name: "a", contentType: "", sha256: Self.sha256(content), sizeBytes: 11))
            Issue.record("a declared size over the limit was accepted")
        } catch {
            #expect(error.code == .tooLarge && error.field == "header.size_bytes")
        }

        let aborted = try store.begin(UploadDescription(name: "a", contentType: "", sha256: Self.sha256(content)))
        try Self.append(Array(content[..<3]), to: aborted)
        aborted.abort()
        #expect(Self.files(store).isEmpty)
    }

    @Test("bad names, types and checksums are refused naming the field", arguments: [
        (UploadDescription(name: "", contentType: "", sha256: String(repeating: "a", count: 64)), "header.name"),
        (UploadDescription(name: "../a", contentType: "", sha256: String(repeating: "a", count: 64)), "header.name"),
        (UploadDescription(name: "a\nb", contentType: "", sha256: String(repeating: "a", count: 64)), "header.name"),
        (UploadDescription(name: "..", contentType: "", sha256: String(repeating: "a", count: 64)), "header.name"),
        (UploadDescription(name: "a", contentType: "text/\u{7}", sha256: String(repeating: "a", count: 64)), "header.content_type"),
        (UploadDescription(name: "a", contentType: "", sha256: "abc"), "header.sha256"),
        (UploadDescription(name: "a", contentType: "", sha256: String(repeating: "g", count: 64)), "header.sha256"),
        (UploadDescription(name: "a", contentType: "", sha256: String(repeating: "a", count: 64), sizeBytes: -1), "header.size_bytes"),
    ])
    func badDescriptions(description: UploadDescription, field: String) throws {
        let store = try UploadStore(directory: Self.directory(), limits: .init(maxBytes: 10, retention: .seconds(60)))
        do {
            _ = try store.begin(description)
            Issue.record("accepted \(description)")
        } catch {
            #expect(error.code == .invalidArgument && error.field == field)
        }
        #expect(Self.files(store).isEmpty)
    }

    @Test("a sweep deletes expired uploads; opening the store removes what a crash left (part files, content without a description)")
    func sweep() throws {
        let directory = Self.directory()
        let store = try UploadStore(directory: directory, limits: .init(maxBytes: 100, retention: .seconds(60)))
        let content = Array("x".utf8)
        let writer = try store.begin(UploadDescription(name: "a", contentType: "", sha256: Self.sha256(content)))
        try Self.append(content, to: writer)
        let kept = try writer.finish()
        FileManager.default.createFile(atPath: directory + "/f-ORPHAN.data", contents: Data([1]))
        let unfinished = try store.begin(UploadDescription(name: "b", contentType: "", sha256: Self.sha256(content)))
        try Self.append(content, to: unfinished)

        #expect(store.sweep(nowMs: kept.createdAtMs) == 0)
        #expect(Set(Self.files(store)) == ["\(kept.id).data", "\(kept.id).json", "f-ORPHAN.data", "tmp/\(unfinished.id).part"],
                "a sweep while uploads run leaves content whose description may be on its way")
        let reopened = try UploadStore(directory: directory, limits: store.limits)
        #expect(Self.files(reopened) == ["\(kept.id).data", "\(kept.id).json"], "a restart removes unfinished uploads")
        #expect(reopened.sweep(nowMs: kept.expiresAtMs) == 1)
        #expect(Self.files(reopened).isEmpty)
        #expect(reopened.file(id: kept.id) == nil)
        #expect(reopened.file(id: "../../etc/passwd") == nil)
    }
}

@Suite("Artifact files")
struct ArtifactFileStoreTests {
    @Test("a stored file is named by its content; removing and sweeping delete only what nothing refers to")
    func storeRemoveSweep() throws {
        let store = try ArtifactFileStore(directory: UploadStoreTests.directory())
        let first = try store.store(Array("one".utf8), workflowID: "wf-1", name: "a.json")
        #expect(first.sizeBytes == 3 && first.sha256 == UploadStoreTests.sha256(Array("one".utf8)))
        let second = try store.store(Array("two!".utf8), workflowID: "wf-1", name: "a.json")
        let artifact = { (stored: ArtifactFileStore.StoredFile) in
            Artifact(name: "a.json", contentType: "application/json", sizeBytes: stored.sizeBytes, sha256: stored.sha256, workflowID: "wf-1", jobID: "j", createdAtMs: 0)
        }
        #expect(FileManager.default.contents(atPath: store.path(of: artifact(first))) == Data("one".utf8), "a new attempt never overwrites")
        #expect(FileManager.default.contents(atPath: store.path(of: artifact(second))) == Data("two!".utf8))

        store.remove([artifact(first)])
        #expect(!FileManager.default.fileExists(atPath: store.path(of: artifact(first))))
        let other = try store.store(Array("x".utf8), workflowID: "wf-2", name: "b.pdf")
        #expect(store.sweep(keeping: [artifact(second)]) == 0, "a file written since the store opened may be a resumed job's")
        // Files of an earlier process: what it listed stays, the rest goes.
        let earlier = Date(timeIntervalSinceNow: -60)
        for path in [store.path(of: artifact(second)), store.directory + "/wf-2/" + FileSystem.entries(of: store.directory + "/wf-2")[0]] {
            try FileManager.default.setAttributes([.modificationDate: earlier], ofItemAtPath: path)
        }
        let reopened = try ArtifactFileStore(directory: store.directory)
        #expect(reopened.sweep(keeping: [artifact(second)]) == 1)
        #expect(FileManager.default.fileExists(atPath: store.path(of: artifact(second))))
        #expect(!FileManager.default.fileExists(atPath: store.directory + "/wf-2"), "an emptied folder goes too")
        _ = other
        #expect(throws: FileStoreError.self) { try store.store([], workflowID: "wf-1", name: "../x") }
        #expect(FileSystem.entries(of: store.directory + "/tmp").isEmpty)
    }

    @Test("a chunk reader reads from an offset to the end in chunks")
    func chunkReader() throws {
        let store = try ArtifactFileStore(directory: UploadStoreTests.directory())
        let content = (0..<1000).map { UInt8($0 % 251) }
        let stored = try store.store(content, workflowID: "wf-1", name: "c.bin")
        let path = store.path(of: Artifact(name: "c.bin", contentType: "", sizeBytes: 0, sha256: stored.sha256, workflowID: "wf-1", jobID: "", createdAtMs: 0))
        let reader = try #require(try FileChunkReader(path: path, offset: 100, chunkSize: 300))
        var read: [UInt8] = []
        var sizes: [Int] = []
        while !reader.isAtEnd {
            let chunk = try reader.next()
            sizes.append(chunk.count)
            read += chunk
        }
        #expect(sizes == [300, 300, 300] && read == Array(content[100...]))
        #expect(try reader.next().isEmpty)
        #expect(try FileChunkReader(path: path + ".missing") == nil)
    }
}
