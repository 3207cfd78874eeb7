/// Identifies the job a ``LogEvent`` is about.
package struct JobRef: Sendable, Hashable {
    /// The job's id.
    package var id: String
    /// The job's name, e.g. "Process Data".
    package var name: String
    /// Zero-based position of the job in its workflow.
    package var position: Int

    /// Creates a job reference.
    package init(id: String, name: String, position: Int) {
        self.id = id
        self.name = name
        self.position = position
    }
}
