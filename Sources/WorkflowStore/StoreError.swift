/// Why a data directory cannot be used; the server stops at start rather than reset anything.
package struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the file.
    package var description: String

    init(_ description: String) {
        self.description = description
    }
}
