import WorkflowEngine

/// The parameters of the export job functions.
///
/// | param | meaning | default |
/// | --- | --- | --- |
/// | `output_dir` | an existing directory the package is written to (required) | |
/// | `package_name` | base name of the files: `<name>.xlsx`, `<name>.pdf`; letters, digits, `.`, `_`, `-` | `assets` |
struct ExportOptions: Sendable {
    var outputDirectory: String
    var packageName: String

    /// Checks `params`: `package_name` first, then that `output_dir` is given. Whether the
    /// directory exists is ``checkDirectory()``'s business: a directory that goes away after
    /// the start is a write failure a retry may get past, not invalid input.
    init(params: [String: String]) throws(EngineError) {
        let name = params["package_name"] ?? "assets"
        guard name.wholeMatch(of: /[A-Za-z0-9_][A-Za-z0-9._-]{0,99}/) != nil else {
            throw .invalidArgument(
                field: "params.package_name",
                reason: "must be 1–100 letters, digits, '.', '_' or '-' not starting with '.' or '-', got \"\(name)\""
            )
        }
        packageName = name
        outputDirectory = try TemplateParameters.required(params, "output_dir")
    }

    /// Checks that ``outputDirectory`` is an existing directory.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` naming `params.output_dir`.
    func checkDirectory() throws(EngineError) {
        _ = try TemplateParameters.existingDirectory(["output_dir": outputDirectory], "output_dir")
    }

    /// The path of the package file with `pathExtension`.
    func path(_ pathExtension: String) -> String {
        let separator = outputDirectory.hasSuffix("/") ? "" : "/"
        return "\(outputDirectory)\(separator)\(packageName).\(pathExtension)"
    }
}
