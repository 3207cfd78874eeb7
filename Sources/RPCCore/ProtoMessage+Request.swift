import MessageRuntime

extension ProtoMessage {
    /// Decodes a request message, or throws the status a stock server answers bytes that do not
    /// decode with: INVALID_ARGUMENT, "request is not a valid <message> message".
    ///
    /// - Parameter bytes: The request message, without its 5-byte gRPC prefix.
    /// - Throws: ``RPCStatus`` when `bytes` is not an encoding of this message.
    package init(request bytes: [UInt8]) throws(RPCStatus) {
        do {
            try self.init(serializedBytes: bytes)
        } catch {
            throw RPCStatus(code: .invalidArgument, message: "request is not a valid \(Self.protoMessageName) message")
        }
    }
}
