/// Thrown when a stored record holds a code that no case of its enum has (see ``StoreCoded``):
/// the record is damaged or was written by a newer version of the store.
struct UnknownStoreCode: Error, Hashable, CustomStringConvertible {
    /// The enum's name, such as `LogLevel`.
    var type: String
    /// The code read.
    var code: UInt64

    var description: String {
        "stored record holds \(type) code \(code), which no \(type) has (a damaged record, or one written by a newer version)"
    }
}
