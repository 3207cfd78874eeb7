import WorkflowModel

/// Where the files of artifacts live (see ``JobContext/recordArtifact(name:contentType:sizeBytes:sha256:message:)``).
/// The engine knows artifacts only as descriptions; it tells the storage which files nothing
/// refers to any more: those of a forgotten workflow, and those a new attempt replaced.
public protocol ArtifactStorage: Sendable {
    /// Deletes the files of `artifacts`. Called once the change that stopped referring to them is
    /// committed, off the engine's executor or on it: keep it short.
    func remove(_ artifacts: [Artifact])
}
