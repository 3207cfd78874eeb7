import RPCCore

/// gRPC server reflection, `grpc.reflection.v1alpha.ServerReflection` and
/// `grpc.reflection.v1.ServerReflection`: lets stock tools (grpcurl, grpcui, Postman,
/// grpcio-reflection) list the services and fetch their descriptors, with no `.proto` at hand.
///
/// It answers from a serialized `FileDescriptorSet` (`protoc --descriptor_set_out
/// --include_imports`): `list_services`, `file_by_filename` and `file_containing_symbol`, each
/// file with its transitive dependencies. Extension queries get NOT_FOUND (the services use no
/// extensions).
///
/// ```swift
/// let reflection = try ReflectionService(fileDescriptorSet: descriptorBytes, serviceNames: router.serviceNames)
/// reflection.register(in: &router)
/// ```
public final class ReflectionService: Sendable {
    /// The service names on the wire, both versions.
    public static let serviceNames = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]

    private let index: DescriptorIndex
    private let listed: [String]

    /// Indexes a descriptor set.
    /// - Parameters:
    ///   - fileDescriptorSet: A serialized `google.protobuf.FileDescriptorSet` holding the files
    ///     of every listed service and their imports.
    ///   - serviceNames: The services to list; the reflection services are added.
    /// - Throws: ``InvalidDescriptorSet`` when the bytes are not a descriptor set.
    public init(fileDescriptorSet: [UInt8], serviceNames: [String]) throws(InvalidDescriptorSet) {
        do {
            index = try DescriptorIndex(fileDescriptorSet: fileDescriptorSet)
        } catch {
            throw InvalidDescriptorSet(offset: error.offset)
        }
        listed = Array(Set(serviceNames + Self.serviceNames)).sorted()
    }

    /// Adds `ServerReflectionInfo` of both versions to `router`.
    public func register(in router: inout RPCRouter) {
        for name in Self.serviceNames {
            router.register(service: name, method: "ServerReflectionInfo", .bidirectionalStreaming { [self] _, waker in
                ReflectionCall(service: self, waker: waker)
            })
        }
    }

    /// The answer to one request.
    func answer(_ request: ReflectionWire.Request) -> ReflectionWire.Answer {
        switch request {
        case .listServices:
            return .services(listed)
        case .fileByFilename(let name):
            let files = index.fileWithDependencies(name)
            return files.isEmpty ? .error(.notFound, "file not found: \(name)") : .files(files.map(\.bytes))
        case .fileContainingSymbol(let symbol):
            guard let name = index.fileBySymbol[symbol] else { return .error(.notFound, "symbol not found: \(symbol)") }
            return .files(index.fileWithDependencies(name).map(\.bytes))
        case .fileContainingExtension(let type, let number):
            return .error(.notFound, "extension not found: \(type) \(number)")
        case .allExtensionNumbersOfType(let type):
            return .error(.notFound, "no extensions of \(type)")
        case .none:
            return .error(.invalidArgument, "no message_request set")
        }
    }
}
