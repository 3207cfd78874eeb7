/// The bytes given to ``ReflectionService`` are not a serialized `FileDescriptorSet`.
package struct InvalidDescriptorSet: Error, Sendable, Hashable {
    /// Where parsing stopped, in bytes from the start of the innermost message being read.
    package var offset: Int
}
