/// A stored asset record that cannot be decoded.
package struct AssetRecordError: Error, Sendable, CustomStringConvertible {
    /// The record's key (the asset's id).
    package let key: String

    package var description: String {
        "the stored asset record \"\(key)\" cannot be decoded"
    }
}
