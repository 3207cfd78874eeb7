import MessageRuntime

extension ProtoMessage {
    /// Decodes a request message, or throws the status a stock server answers bytes that do not
    /// decode with: INVALID_ARGUMENT, "request is not a valid <message> message", naming the
    /// string field when its bytes are not UTF-8.
    ///
    /// - Parameter bytes: The request message, without its 5-byte gRPC prefix.
    /// - Throws: ``RPCStatus`` when `bytes` is not an encoding of this message.
    package init(request bytes: [UInt8]) throws(RPCStatus) {
        do {
            try self.init(serializedBytes: bytes)
        } catch {
            let reason = error.invalidUTF8Field.map { ": \($0) is not valid UTF-8" } ?? ""
            throw RPCStatus(code: .invalidArgument, message: "request is not a valid \(Self.protoMessageName) message\(reason)")
        }
    }
}
