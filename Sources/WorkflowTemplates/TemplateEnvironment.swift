/// What the product's job functions share across workflows: the asset registry and the
/// per-workflow scratch state.
public struct TemplateEnvironment: Sendable {
    /// The service's assets, which imports write, rules flag and exports read.
    public let assets: AssetRegistry
    /// Data handed from one job of a workflow to the next.
    public let scratchpad: WorkflowScratchpad

    /// Creates an environment.
    ///
    /// - Parameters:
    ///   - assets: The registry the jobs work on; a new empty one by default.
    ///   - scratchpad: The per-workflow scratch state; a new one by default.
    public init(assets: AssetRegistry = AssetRegistry(), scratchpad: WorkflowScratchpad = WorkflowScratchpad()) {
        self.assets = assets
        self.scratchpad = scratchpad
    }
}
