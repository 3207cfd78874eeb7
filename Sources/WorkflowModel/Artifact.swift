/// A file a workflow produced, e.g. the spreadsheet of an `EXPORT_PACKAGE`, kept by the server
/// for as long as the workflow is retained.
public struct Artifact: Sendable, Hashable {
    /// `<workflow id>.<name>`, the same across the job's attempts and the workflow's retries: a
    /// new attempt replaces the file.
    public var id: String
    /// The file name, e.g. `assets.xlsx`: 1 to 100 letters, digits, `.`, `_` or `-`, not
    /// starting with `.` or `-`.
    public var name: String
    /// The media type, e.g. `application/pdf`.
    public var contentType: String
    /// The file's size in bytes.
    public var sizeBytes: Int64
    /// The file's SHA-256 as 64 lowercase hex digits.
    public var sha256: String
    /// The workflow that produced it.
    public var workflowID: String
    /// The job that produced it.
    public var jobID: String
    /// When it was stored, in Unix epoch milliseconds.
    public var createdAtMs: Int64

    /// Creates an artifact description.
    public init(
        name: String,
        contentType: String,
        sizeBytes: Int64,
        sha256: String,
        workflowID: String,
        jobID: String,
        createdAtMs: Int64
    ) {
        self.id = Self.id(workflowID: workflowID, name: name)
        self.name = name
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.workflowID = workflowID
        self.jobID = jobID
        self.createdAtMs = createdAtMs
    }

    /// The reference steps about the artifact carry: its name, its download route over HTTP,
    /// its id and the entity type `Artifact`.
    public var entity: EntityReference {
        EntityReference(tag: name, route: "/api/v1/artifacts/\(id)", id: id, type: "Artifact")
    }

    /// The id of the artifact `name` of workflow `workflowID`.
    public static func id(workflowID: String, name: String) -> String {
        "\(workflowID).\(name)"
    }

    /// Splits an artifact id into its workflow id and name, or `nil` when it has no `.`.
    public static func parse(id: String) -> (workflowID: String, name: String)? {
        guard let dot = id.firstIndex(of: "."), dot != id.startIndex, id.index(after: dot) != id.endIndex else { return nil }
        return (String(id[..<dot]), String(id[id.index(after: dot)...]))
    }

    /// Whether `name` is an acceptable artifact name.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...100).contains(bytes.count), bytes[0] != UInt8(ascii: "."), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
