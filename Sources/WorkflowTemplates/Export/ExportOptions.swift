import WorkflowEngine

/// The parameters of the export job functions.
///
/// | param | meaning | default |
/// | --- | --- | --- |
/// | `package_name` | base name of the files: `<name>.json`, `<name>.xlsx`, `<name>.pdf`; letters, digits, `.`, `_`, `-` | `assets` |
/// | `output_dir` | an existing directory on the server's disk to copy the spreadsheet and report to, besides the workflow's artifacts | none |
struct ExportOptions: Sendable {
    var outputDirectory: String?
    var packageName: String

    /// Checks `params`. Whether `output_dir` exists is ``checkDirectory()``'s business: a
    /// directory that goes away after the start is a write failure a retry may get past, not
    /// invalid input.
    init(params: [String: String]) throws(EngineError) {
        let name = params["package_name"] ?? "assets"
        guard name.wholeMatch(of: /[A-Za-z0-9_][A-Za-z0-9._-]{0,94}/) != nil else {
            throw .invalidArgument(
                field: "params.package_name",
                reason: "must be 1–95 letters, digits, '.', '_' or '-' not starting with '.' or '-', got \"\(name)\""
            )
        }
        packageName = name
        outputDirectory = params["output_dir"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Checks that ``outputDirectory``, if given, is an existing directory.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` naming `params.output_dir`.
    func checkDirectory() throws(EngineError) {
        guard let outputDirectory else { return }
        _ = try TemplateParameters.existingDirectory(["output_dir": outputDirectory], "output_dir")
    }

    /// The file name of the package file with `pathExtension`, e.g. `assets.xlsx`.
    func fileName(_ pathExtension: String) -> String {
        "\(packageName).\(pathExtension)"
    }

    /// The path in ``outputDirectory`` of the package file with `pathExtension`, if a directory
    /// was given.
    func copyPath(_ pathExtension: String) -> String? {
        outputDirectory.map { directory in
            let separator = directory.hasSuffix("/") ? "" : "/"
            return "\(directory)\(separator)\(fileName(pathExtension))"
        }
    }
}
