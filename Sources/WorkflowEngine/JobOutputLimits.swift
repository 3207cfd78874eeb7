/// What a job's outputs may hold: they are small values handed from one job to the next (a
/// count, an id, a checksum), stored with the workflow and sent in every `GetWorkflow`; bulk data
/// goes in an uploaded file or an artifact, and its id in an output.
///
/// - A name is 1 to 128 ASCII letters, digits, `_`, `.` or `-`.
/// - The names and values of one job's outputs take at most 64 KiB (UTF-8) together.
public enum JobOutputLimits {
    /// The most bytes of UTF-8 the names and values of one job's outputs take together.
    public static let maxTotalBytes = 65_536
    /// The longest output name, in bytes.
    public static let maxNameBytes = 128

    /// Checks `outputs` against the limits.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` naming the output (`outputs.rows`) or the
    ///   total.
    public static func check(_ outputs: [String: String]) throws(EngineError) {
        var total = 0
        for (name, value) in outputs {
            try checkName(name)
            total += name.utf8.count + value.utf8.count
        }
        if total > maxTotalBytes {
            throw .invalidArgument(
                field: "outputs",
                reason: "take \(total) bytes; a job's outputs may take at most \(maxTotalBytes) bytes of names and values "
                    + "(hand bulk data on as an artifact or an uploaded file, and its id as an output)"
            )
        }
    }

    /// Checks one output name.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` naming the output.
    public static func checkName(_ name: String) throws(EngineError) {
        let bytes = name.utf8
        guard (1...maxNameBytes).contains(bytes.count), bytes.allSatisfy(isNameByte) else {
            throw .invalidArgument(
                field: "outputs.\(name)",
                reason: "an output name is 1 to \(maxNameBytes) letters, digits, '_', '.' or '-'"
            )
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
