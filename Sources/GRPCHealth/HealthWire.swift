internal import CGRPCHealth
import RPCCore

/// `grpc.health.v1` messages to and from bytes, through protoc-c.
enum HealthWire {
    /// The `service` of a `HealthCheckRequest`.
    /// - Throws: INVALID_ARGUMENT when the bytes are not a `HealthCheckRequest`.
    static func decodeRequest(_ bytes: [UInt8]) throws(RPCStatus) -> String {
        // protoc-c reads from `data` even for length 0, so it needs a valid pointer.
        var empty: UInt8 = 0
        let unpacked = bytes.isEmpty
            ? grpc__health__v1__health_check_request__unpack(nil, 0, &empty)
            : bytes.withUnsafeBufferPointer { grpc__health__v1__health_check_request__unpack(nil, $0.count, $0.baseAddress) }
        // NULL: malformed bytes (bad varint, wrong wire type, length past the end) or no memory.
        guard let unpacked else {
            throw RPCStatus(code: .invalidArgument, message: "invalid grpc.health.v1.HealthCheckRequest (\(bytes.count) bytes)")
        }
        defer { grpc__health__v1__health_check_request__free_unpacked(unpacked, nil) }
        // `service` is "" (a static empty string), never NULL, after unpack.
        return unpacked.pointee.service.map { String(cString: $0) } ?? ""
    }

    /// A serialized `HealthCheckResponse` with `status`.
    static func encodeResponse(_ status: ServingStatus) -> [UInt8] {
        var message = Grpc__Health__V1__HealthCheckResponse()
        grpc__health__v1__health_check_response__init(&message)
        message.status = Grpc__Health__V1__HealthCheckResponse__ServingStatus(rawValue: UInt32(bitPattern: status.rawValue))
        let size = grpc__health__v1__health_check_response__get_packed_size(&message)
        var bytes = [UInt8](repeating: 0, count: size)
        _ = bytes.withUnsafeMutableBufferPointer { grpc__health__v1__health_check_response__pack(&message, $0.baseAddress) }
        return bytes
    }
}
