/// A credentials file that cannot be used, with the file and, where it helps, the line.
package struct AccessSetupError: Error, Sendable, CustomStringConvertible {
    /// The file that was read.
    package let path: String
    /// What is wrong with it.
    package let reason: String

    package init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    package var description: String { "\(path): \(reason)" }
}
