import MessageRuntime
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
package final class ReflectionService: Sendable {
    /// The method of both versions: the same messages under two service names.
    private static let methods = [ReflectionV1.ServerReflection.serverReflectionInfo, ReflectionV1Alpha.ServerReflection.serverReflectionInfo]

    /// The service names on the wire, both versions.
    package static let serviceNames = methods.map(\.service)

    private let index: DescriptorIndex
    private let listed: [String]

    /// Indexes a descriptor set.
    /// - Parameters:
    ///   - fileDescriptorSet: A serialized `google.protobuf.FileDescriptorSet` holding the files
    ///     of every listed service and their imports.
    ///   - serviceNames: The services to list; the reflection services are added.
    /// - Throws: ``InvalidDescriptorSet`` when the bytes are not a descriptor set.
    package init(fileDescriptorSet: [UInt8], serviceNames: [String]) throws(InvalidDescriptorSet) {
        do {
            index = try DescriptorIndex(fileDescriptorSet: fileDescriptorSet)
        } catch {
            throw InvalidDescriptorSet(offset: error.offset)
        }
        listed = Array(Set(serviceNames + Self.serviceNames)).sorted()
    }

    /// Adds `ServerReflectionInfo` of both versions to `router`.
    package func register(in router: inout RPCRouter) {
        for method in Self.methods {
            router.register(method, .bidirectionalStreaming { [self] _, waker in
                ReflectionCall(service: self, waker: waker)
            })
        }
    }

    /// The response to one request, which it echoes in `original_request` as the protocol asks.
    func respond(to request: ReflectionV1Alpha.ServerReflectionRequest) -> ReflectionV1Alpha.ServerReflectionResponse {
        ReflectionV1Alpha.ServerReflectionResponse(validHost: request.host, originalRequest: request, messageResponse: answer(request.messageRequest))
    }

    private func answer(_ request: ReflectionV1Alpha.ServerReflectionRequest.MessageRequest?) -> ReflectionV1Alpha.ServerReflectionResponse.MessageResponse {
        switch request {
        case .listServices?:
            return .listServicesResponse(.init(service: listed.map { .init(name: $0) }))
        case .fileByFilename(let name)?:
            let files = index.fileWithDependencies(name)
            return files.isEmpty ? Self.error(.notFound, "file not found: \(name)") : Self.files(files)
        case .fileContainingSymbol(let symbol)?:
            guard let name = index.fileBySymbol[symbol] else { return Self.error(.notFound, "symbol not found: \(symbol)") }
            return Self.files(index.fileWithDependencies(name))
        case .fileContainingExtension(let request)?:
            return Self.error(.notFound, "extension not found: \(request.containingType) \(request.extensionNumber)")
        case .allExtensionNumbersOfType(let type)?:
            return Self.error(.notFound, "no extensions of \(type)")
        case nil:
            return Self.error(.invalidArgument, "no message_request set")
        }
    }

    private static func files(_ files: [DescriptorIndex.File]) -> ReflectionV1Alpha.ServerReflectionResponse.MessageResponse {
        .fileDescriptorResponse(.init(fileDescriptorProto: files.map(\.bytes)))
    }

    private static func error(_ code: RPCStatus.Code, _ message: String) -> ReflectionV1Alpha.ServerReflectionResponse.MessageResponse {
        .errorResponse(.init(errorCode: Int32(code.rawValue), errorMessage: message))
    }
}
