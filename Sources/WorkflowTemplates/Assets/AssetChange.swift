/// What writing a draft did to the registry.
package enum AssetChange: Sendable, Hashable {
    /// No asset had the tag; one was created.
    case created
    /// An asset with the tag existed and some field changed.
    case updated
    /// An asset with the tag existed with exactly these fields.
    case unchanged
}
