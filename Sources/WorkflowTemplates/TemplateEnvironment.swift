/// What the product's job functions share across workflows: the asset registry and the
/// per-workflow scratch state.
package struct TemplateEnvironment: Sendable {
    /// The service's assets, which imports write, rules flag and exports read.
    package let assets: AssetRegistry
    /// Data handed from one job of a workflow to the next.
    package let scratchpad: WorkflowScratchpad

    /// Creates an environment.
    ///
    /// - Parameters:
    ///   - assets: The registry the jobs work on; a new empty one by default.
    ///   - scratchpad: The per-workflow scratch state; a new one by default.
    package init(assets: AssetRegistry = AssetRegistry(), scratchpad: WorkflowScratchpad = WorkflowScratchpad()) {
        self.assets = assets
        self.scratchpad = scratchpad
    }
}
