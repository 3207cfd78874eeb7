import WorkflowFiles

/// What the product's job functions share across workflows: the asset registry and the
/// server's files (uploads they read, artifacts they write).
package struct TemplateEnvironment: Sendable {
    /// The service's assets, which imports write, rules flag and exports read.
    package let assets: AssetRegistry
    /// Uploaded inputs and produced artifacts.
    package let files: FileArea

    /// Creates an environment.
    ///
    /// - Parameters:
    ///   - assets: The registry the jobs work on.
    ///   - files: Where uploads are read and artifacts written.
    package init(assets: AssetRegistry, files: FileArea) {
        self.assets = assets
        self.files = files
    }

    /// An empty registry and files in a new temporary folder, for tests and examples.
    package static func temporary() throws -> TemplateEnvironment {
        TemplateEnvironment(assets: AssetRegistry(), files: try FileArea.temporary())
    }
}
