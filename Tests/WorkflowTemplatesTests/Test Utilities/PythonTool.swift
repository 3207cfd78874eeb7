import Foundation

/// Runs Python snippets (openpyxl) from the package's `.venv` or `WORKFLOW_TEST_PYTHON`.
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

    /// Runs `script` with `arguments`; nil when the script's imports are not installed.
    static func run(_ python: URL, _ script: String, arguments: [String]) throws -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return output.contains("ModuleNotFoundError") ? nil : (process.terminationStatus, output)
    }
}
