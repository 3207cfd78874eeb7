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

    /// Checks `params`: `package_name` first, then `output_dir`.
    init(params: [String: String]) throws(EngineError) {
        let name = params["package_name"] ?? "assets"
        guard name.wholeMatch(of: /[A-Za-z0-9_][A-Za-z0-9._-]{0,99}/) != nil else {
            throw .invalidArgument(
                field: "params.package_name",
                reason: "must be 1–100 letters, digits, '.', '_' or '-' not starting with '.' or '-', got \"\(name)\""
            )
        }
        packageName = name
        outputDirectory = try TemplateParameters.existingDirectory(params, "output_dir")
    }

    /// The path of the package file with `pathExtension`.
    func path(_ pathExtension: String) -> String {
        let separator = outputDirectory.hasSuffix("/") ? "" : "/"
        return "\(outputDirectory)\(separator)\(packageName).\(pathExtension)"
    }
}
