internal import CGRPCReflection
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import RPCCore

/// `ServerReflectionRequest`/`ServerReflectionResponse` to and from bytes, through the protoc-c
/// code of `grpc.reflection.v1alpha`. `grpc.reflection.v1` has the same messages (same fields,
/// numbers and types), so the same bytes serve both.
enum ReflectionWire {
    /// What a request asks.
    enum Request: Equatable, Sendable {
        case fileByFilename(String)
        case fileContainingSymbol(String)
        case fileContainingExtension(type: String, number: Int32)
        case allExtensionNumbersOfType(String)
        case listServices
        /// No `message_request` set.
        case none
    }

    /// What a response carries.
    enum Answer: Sendable {
        /// Serialized `FileDescriptorProto`s.
        case files([[UInt8]])
        case services([String])
        case error(RPCStatus.Code, String)
    }

    /// Decodes a request and encodes the response `answer` gives for it (echoing the request in
    /// `original_request`, as the protocol asks).
    /// - Throws: INVALID_ARGUMENT when the bytes are not a `ServerReflectionRequest`.
    static func respond(to bytes: [UInt8], _ answer: (Request) -> Answer) throws(RPCStatus) -> [UInt8] {
        // protoc-c reads from `data` even for length 0, so it needs a valid pointer.
        var empty: UInt8 = 0
        let unpacked = bytes.isEmpty
            ? grpc__reflection__v1alpha__server_reflection_request__unpack(nil, 0, &empty)
            : bytes.withUnsafeBufferPointer { grpc__reflection__v1alpha__server_reflection_request__unpack(nil, $0.count, $0.baseAddress) }
        // NULL: malformed bytes (bad varint, wrong wire type, length past the end) or no memory.
        guard let unpacked else {
            throw RPCStatus(code: .invalidArgument, message: "invalid ServerReflectionRequest (\(bytes.count) bytes)")
        }
        defer { grpc__reflection__v1alpha__server_reflection_request__free_unpacked(unpacked, nil) }
        let request = Self.request(unpacked.pointee)
        return encode(answer(request), original: unpacked)
    }

    /// Copies what a request asks out of the C message.
    private static func request(_ message: Grpc__Reflection__V1alpha__ServerReflectionRequest) -> Request {
        func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
            pointer.map { String(cString: $0) } ?? ""
        }
        switch message.message_request_case {
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
            return .fileByFilename(string(message.file_by_filename))
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
            return .fileContainingSymbol(string(message.file_containing_symbol))
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
            let extensionRequest = message.file_containing_extension?.pointee
            return .fileContainingExtension(
                type: string(extensionRequest?.containing_type), number: extensionRequest?.extension_number ?? 0
            )
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
            return .allExtensionNumbersOfType(string(message.all_extension_numbers_of_type))
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
            return .listServices
        default:
            return .none
        }
    }

    /// Packs a response. Every pointer it holds (into `original`, and the C copies made here)
    /// stays valid until `pack` returns; the copies are freed before returning.
    private static func encode(_ answer: Answer, original: UnsafeMutablePointer<Grpc__Reflection__V1alpha__ServerReflectionRequest>) -> [UInt8] {
        var response = Grpc__Reflection__V1alpha__ServerReflectionResponse()
        grpc__reflection__v1alpha__server_reflection_response__init(&response)
        response.valid_host = original.pointee.host
        response.original_request = original

        var files = Grpc__Reflection__V1alpha__FileDescriptorResponse()
        var services = Grpc__Reflection__V1alpha__ListServiceResponse()
        var failure = Grpc__Reflection__V1alpha__ErrorResponse()
        // C copies made for this pack, freed at the end.
        var allocations: [UnsafeMutableRawPointer] = []
        defer { for allocation in allocations { free(allocation) } }
        func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8> {
            let pointer = malloc(max(bytes.count, 1))!.bindMemory(to: UInt8.self, capacity: max(bytes.count, 1))
            pointer.initialize(from: bytes, count: bytes.count)
            allocations.append(UnsafeMutableRawPointer(pointer))
            return pointer
        }
        func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
            let pointer = strdup(text)!
            allocations.append(UnsafeMutableRawPointer(pointer))
            return pointer
        }

        switch answer {
        case .files(let protos):
            grpc__reflection__v1alpha__file_descriptor_response__init(&files)
            let array = UnsafeMutablePointer<ProtobufCBinaryData>.allocate(capacity: max(protos.count, 1))
            defer { array.deallocate() }
            for (index, proto) in protos.enumerated() {
                array[index] = ProtobufCBinaryData(len: proto.count, data: copy(proto))
            }
            files.n_file_descriptor_proto = protos.count
            files.file_descriptor_proto = array
            return withUnsafeMutablePointer(to: &files) { pointer in
                response.message_response_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE
                response.file_descriptor_response = pointer
                return pack(&response)
            }
        case .services(let names):
            grpc__reflection__v1alpha__list_service_response__init(&services)
            let entries = UnsafeMutablePointer<Grpc__Reflection__V1alpha__ServiceResponse>.allocate(capacity: max(names.count, 1))
            let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Grpc__Reflection__V1alpha__ServiceResponse>?>.allocate(capacity: max(names.count, 1))
            defer {
                entries.deallocate()
                pointers.deallocate()
            }
            for (index, name) in names.enumerated() {
                (entries + index).initialize(to: Grpc__Reflection__V1alpha__ServiceResponse())
                grpc__reflection__v1alpha__service_response__init(entries + index)
                entries[index].name = cString(name)
                pointers[index] = entries + index
            }
            services.n_service = names.count
            services.service = pointers
            return withUnsafeMutablePointer(to: &services) { pointer in
                response.message_response_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE
                response.list_services_response = pointer
                return pack(&response)
            }
        case .error(let code, let message):
            grpc__reflection__v1alpha__error_response__init(&failure)
            failure.error_code = Int32(code.rawValue)
            failure.error_message = cString(message)
            return withUnsafeMutablePointer(to: &failure) { pointer in
                response.message_response_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE
                response.error_response = pointer
                return pack(&response)
            }
        }
    }

    private static func pack(_ response: UnsafeMutablePointer<Grpc__Reflection__V1alpha__ServerReflectionResponse>) -> [UInt8] {
        let size = grpc__reflection__v1alpha__server_reflection_response__get_packed_size(response)
        var bytes = [UInt8](repeating: 0, count: size)
        _ = bytes.withUnsafeMutableBufferPointer { grpc__reflection__v1alpha__server_reflection_response__pack(response, $0.baseAddress) }
        return bytes
    }
}
