/// An enum the store writes as a number of its own, so that reordering, renaming or adding cases
/// in `WorkflowModel` never changes what a stored number means.
///
/// Each conformance maps every case to its code with one exhaustive `switch`: a new case does not
/// compile until it has a code. Reading derives the other direction from that same table
/// (``init(storeCode:)``), so the two directions cannot disagree. A code, once written to a
/// database, is never changed nor given to another case; a change of meaning needs a
/// `StoreSchema` migration that rewrites the stored records.
///
/// ```swift
/// writer.write(event.level.storeCode)
/// let level = try reader.read(LogLevel.self)
/// ```
protocol StoreCoded: CaseIterable {
    /// The number that stands for this case on disk.
    var storeCode: UInt64 { get }
}

extension StoreCoded {
    /// The case that `code` stands for.
    ///
    /// - Throws: ``UnknownStoreCode`` when no case has `code` (a damaged record, or one written
    ///   by a newer version of the store).
    init(storeCode code: UInt64) throws(UnknownStoreCode) {
        guard let value = Self.allCases.first(where: { $0.storeCode == code }) else {
            throw UnknownStoreCode(type: "\(Self.self)", code: code)
        }
        self = value
    }
}
