/// What a caller's subject may be: it is written into events ("… started by alice"), audit
/// fields and error messages, so it is printable and short.
enum Subject {
    /// The most bytes a subject may have.
    static let maxBytes = 256

    /// Whether `text` may be a subject: 1 to ``maxBytes`` bytes, no control characters.
    static func isAcceptable(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.count <= maxBytes
            && !text.unicodeScalars.contains { scalar in
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator: true
                default: false
                }
            }
    }

    /// What ``isAcceptable(_:)`` requires, for messages.
    static var requirement: String {
        "1 to \(maxBytes) bytes of printable characters on one line"
    }
}
