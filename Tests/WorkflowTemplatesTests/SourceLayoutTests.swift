import Foundation
import Testing

@Suite("Source layout")
struct SourceLayoutTests {
    @Test("Each file of Sources/WorkflowTemplates declares at most one top-level type")
    func oneTypePerFile() throws {
        let root = TemplateTesting.packageRoot.appendingPathComponent("Sources/WorkflowTemplates")
        let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 10)
        let declaration = /^(?:(?:public|package|internal|fileprivate|private|final)\s+)*(?:struct|enum|class|actor|protocol)\s+(\w+)/
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            let types = text.split(separator: "\n").compactMap { line in line.firstMatch(of: declaration).map { String($0.1) } }
            #expect(types.count <= 1, "\(file) declares \(types.joined(separator: ", "))")
        }
    }
}
