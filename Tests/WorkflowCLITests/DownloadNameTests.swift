import Testing
@testable import WorkflowCLI

@Suite("Downloaded file names")
struct DownloadNameTests {
    @Test("a name from the server is used as a path only when it is a plain file name", arguments: [
        ("assets.xlsx", true), ("plant_1-a.pdf", true), ("../etc/passwd", false), ("a/b", false), (".hidden", false),
        ("-rf", false), ("", false), ("..", false), ("Kühler.pdf", false), (String(repeating: "a", count: 101), false),
    ])
    func plainNames(name: String, safe: Bool) {
        #expect(CommandRunner.isSafeFileName(name) == safe)
    }
}
