/// The messages in the bytes a producer wrote (each with its 5-byte gRPC prefix), as the
/// gateway turns them into events or files.
enum FramedMessages {
    /// The messages of `framed`, in order; a cut-off last one is left out.
    static func split(_ framed: [UInt8]) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var offset = 0
        while offset + 5 <= framed.count {
            let length = framed[offset + 1 ..< offset + 5].reduce(0) { $0 << 8 | Int($1) }
            guard offset + 5 + length <= framed.count else { break }
            messages.append(Array(framed[offset + 5 ..< offset + 5 + length]))
            offset += 5 + length
        }
        return messages
    }
}
