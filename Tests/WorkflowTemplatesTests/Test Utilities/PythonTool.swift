import Foundation
import Testing

/// Runs Python snippets (openpyxl) from the package's `.venv` or `WORKFLOW_TEST_PYTHON`.
///
/// A missing interpreter or module fails the test: `Scripts/test.sh` installs both.
enum PythonTool {
    /// The interpreter, or nil when none is installed.
    static func interpreter() -> URL? {
        if let path = ProcessInfo.processInfo.environment["WORKFLOW_TEST_PYTHON"], !path.isEmpty,
           FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        let venv = TemplateTesting.packageRoot.appendingPathComponent(".venv/bin/python")
        return FileManager.default.isExecutableFile(atPath: venv.path) ? venv : nil
    }

    /// Runs `script` with `arguments` and returns its exit status and output (stdout and
    /// stderr).
    ///
    /// - Throws: An issue (failing the test) when there is no interpreter or the script's
    ///   imports are not installed.
    static func run(
        _ script: String,
        arguments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (status: Int32, output: String) {
        let python = try #require(
            interpreter(),
            "no Python: set WORKFLOW_TEST_PYTHON or create .venv with openpyxl (Scripts/test.sh does both)",
            sourceLocation: sourceLocation
        )
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(
            !output.contains("ModuleNotFoundError"),
            "a Python module is missing from \(python.path): Scripts/test.sh installs Tests/Interop/requirements.txt (openpyxl)\n\(output)",
            sourceLocation: sourceLocation
        )
        return (process.terminationStatus, output)
    }
}
