/// A keyed value that a job keeps in the engine's store, committed in the same transaction as
/// the steps that report it (see ``JobContext/logSteps(_:keeping:)``): a crash keeps both or
/// neither. The asset registry keeps its assets this way.
///
/// The store holds one record per collection and key; a record replaces the stored one only
/// when its ``revision`` is higher, so two jobs whose writes reach the store out of order
/// still leave the newer value.
public struct StoredRecord: Sendable, Hashable {
    /// What kind of record this is, e.g. `asset`.
    public var collection: String
    /// The record's key within its collection, e.g. an asset's id.
    public var key: String
    /// Orders the writes of one record: higher replaces lower.
    public var revision: UInt64
    /// The record's encoded value.
    public var body: [UInt8]

    /// Creates a record.
    public init(collection: String, key: String, revision: UInt64, body: [UInt8]) {
        self.collection = collection
        self.key = key
        self.revision = revision
        self.body = body
    }
}
