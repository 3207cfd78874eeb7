import Hummingbird
import HummingbirdCore
import MessageRuntime
import NIOCore
import RPCCore
import WorkflowMessages

/// Uploads and artifact downloads over HTTP, through the `UploadFile` and `DownloadArtifact`
/// handlers (the same checks, limits and statuses as gRPC), streamed both ways: the server
/// holds one chunk of a request or response body at a time, whatever the file's size.
///
/// - `POST /api/v1/files?name=assets.csv&sha256=<hex>` with the file as the body (its
///   `Content-Type` is the file's) answers the `UploadedFile` as JSON.
/// - `GET /api/v1/artifacts/{id}` (an artifact) and `GET /api/v1/files/{id}` (an upload, read
///   back) answer the file with its `Content-Type`, `Content-Length`, `Content-Disposition` and
///   an `ETag` of its SHA-256; `Range: bytes=N-` resumes (206; past the end, 416); other
///   ranges are ignored (200, the whole file).
struct FileTransfers: Sendable {
    /// The size of the chunk messages an upload's body is cut into.
    static let uploadChunkSize = 1 << 20

    let caller: RouterCaller

    private typealias Methods = WorkflowV1.WorkflowService

    /// `POST /api/v1/files`: the body streamed into an `UploadFile` call.
    func upload(_ request: Request, credentials: CallCredentials) async throws -> Response {
        let header: WorkflowV1.UploadHeader
        do throws(RPCStatus) {
            let query = try HTTPGateway.decode(WorkflowV1.UploadHeader.self, from: RequestJSON.query(request.uri.query))
            header = WorkflowV1.UploadHeader(
                name: query.name,
                contentType: request.headers[.contentType] ?? query.contentType,
                sha256: query.sha256,
                sizeBytes: request.headers[.contentLength].flatMap { Int64($0) } ?? query.sizeBytes
            )
        } catch {
            return HTTPGateway.errorResponse(error, httpStatus: error.code.httpStatus)
        }
        let control = EventStreamControl()
        let handler: any RequestStreamHandler
        switch await caller.openRequestStream(Methods.uploadFile.path, credentials: credentials, waker: StreamWaker { control.wake() }) {
        case .success(let opened): handler = opened
        case .failure(let status): return HTTPGateway.errorResponse(status, httpStatus: status.code.httpStatus)
        }
        var finished = false
        defer {
            if !finished { caller.cancel(handler) }
        }
        if let refused = await caller.send(WorkflowV1.UploadFileRequest(part: .header(header)).serializedBytes(), to: handler) {
            finished = true
            return Self.uploadError(refused)
        }
        var pending = ByteBuffer()
        for try await buffer in request.body {
            var buffer = buffer
            pending.writeBuffer(&buffer)
            while pending.readableBytes >= Self.uploadChunkSize {
                let chunk = pending.readBytes(length: Self.uploadChunkSize) ?? []
                if let refused = await caller.send(WorkflowV1.UploadFileRequest(part: .chunk(chunk)).serializedBytes(), to: handler) {
                    finished = true
                    return Self.uploadError(refused)
                }
            }
            pending.discardReadBytes()
        }
        if pending.readableBytes > 0 {
            let chunk = pending.readBytes(length: pending.readableBytes) ?? []
            if let refused = await caller.send(WorkflowV1.UploadFileRequest(part: .chunk(chunk)).serializedBytes(), to: handler) {
                finished = true
                return Self.uploadError(refused)
            }
        }
        await caller.endRequests(of: handler)
        var changes = control.changes.makeAsyncIterator()
        var answer: [UInt8] = []
        while true {
            let (bytes, production) = try await caller.produce(handler, budget: 1 << 16)
            answer += bytes
            switch production {
            case .more:
                continue
            case .pending:
                guard await changes.next() != nil else {
                    let status = RPCStatus(code: .unavailable, message: "the upload ended without an answer")
                    return HTTPGateway.errorResponse(status, httpStatus: status.code.httpStatus)
                }
            case .finished(let status):
                finished = true
                guard status.code == .ok, let message = FramedMessages.split(answer).first,
                      let file = try? WorkflowV1.UploadedFile(serializedBytes: message)
                else {
                    return Self.uploadError(status)
                }
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                return Response(status: .created, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.protoJSONBytes())))
            }
        }
    }

    /// `GET /api/v1/artifacts/{id}`: a `DownloadArtifact` call written as the response body.
    func downloadArtifact(_ request: Request, id: String, credentials: CallCredentials) async throws -> Response {
        try await download(request, Methods.downloadArtifact.path, credentials: credentials) { offset in
            WorkflowV1.DownloadArtifactRequest(artifactID: id, offset: offset).serializedBytes()
        } unpack: { message in
            let chunk = try WorkflowV1.ArtifactChunk(serializedBytes: message)
            let file = chunk.artifact.map { FileHead(name: $0.name, contentType: $0.contentType, sizeBytes: $0.sizeBytes, sha256: $0.sha256) }
            return (file, chunk.data)
        }
    }

    /// `GET /api/v1/files/{id}`: a `DownloadFile` call (an upload read back) written as the
    /// response body.
    func downloadUpload(_ request: Request, id: String, credentials: CallCredentials) async throws -> Response {
        try await download(request, Methods.downloadFile.path, credentials: credentials) { offset in
            WorkflowV1.DownloadFileRequest(fileID: id, offset: offset).serializedBytes()
        } unpack: { message in
            let chunk = try WorkflowV1.FileChunk(serializedBytes: message)
            let file = chunk.file.map { FileHead(name: $0.name, contentType: $0.contentType, sizeBytes: $0.sizeBytes, sha256: $0.sha256) }
            return (file, chunk.data)
        }
    }

    /// What a download's first message says about the file: its headers.
    private struct FileHead {
        var name: String
        var contentType: String
        var sizeBytes: Int64
        var sha256: String
    }

    /// A server-streaming download call (`makeRequest` for an offset) written as the response
    /// body, with the headers from its first message (`unpack` gives a message's file
    /// description, if it has one, and its data).
    ///
    /// `Range: bytes=N-` starts at N: 206, or 416 (with `Content-Range: bytes */<size>`) when N
    /// is not inside the file; `If-Range` with another ETag than the file's (a new attempt
    /// replaced it) sends the whole file instead. Any other range is ignored, as RFC 9110
    /// allows.
    private func download(
        _ request: Request,
        _ path: String,
        credentials: CallCredentials,
        makeRequest: @escaping @Sendable (Int64) -> [UInt8],
        unpack: @escaping @Sendable ([UInt8]) throws -> (FileHead?, [UInt8])
    ) async throws -> Response {
        let requested = request.headers[.range].flatMap(Self.rangeStart) ?? 0
        var opened = try await open(path, makeRequest(requested), credentials: credentials, offset: requested, unpack: unpack)
        if case .success(let stream) = opened, requested > 0,
           let ifRange = request.headers[.ifRange], ifRange != "\"\(stream.head.sha256)\"" {
            caller.cancel(stream.producer)
            opened = try await open(path, makeRequest(0), credentials: credentials, offset: 0, unpack: unpack)
        }
        let stream: OpenDownload
        switch opened {
        case .success(let success):
            stream = success
        case .failure(let status):
            return HTTPGateway.errorResponse(status, httpStatus: status.code == .outOfRange ? .rangeNotSatisfiable : status.code.httpStatus)
        }
        let offset = stream.offset
        let head = stream.head
        if offset > 0, offset >= head.sizeBytes {
            caller.cancel(stream.producer)
            var response = HTTPGateway.errorResponse(
                RPCStatus(code: .outOfRange, message: "Range: \(offset) is not inside \(head.name) (\(head.sizeBytes) bytes)"),
                httpStatus: .rangeNotSatisfiable
            )
            response.headers[.contentRange] = "bytes */\(head.sizeBytes)"
            return response
        }
        let (producer, production, messages, control) = (stream.producer, stream.production, stream.messages, stream.control)
        var headers = HTTPFields()
        headers[.contentType] = head.contentType
        headers[.contentLength] = String(head.sizeBytes - offset)
        headers[.contentDisposition] = Self.contentDisposition(filename: head.name)
        headers[.eTag] = "\"\(head.sha256)\""
        headers[.acceptRanges] = "bytes"
        if offset > 0 {
            headers[.contentRange] = "bytes \(offset)-\(head.sizeBytes - 1)/\(head.sizeBytes)"
        }
        let caller = caller
        let firstData = messages.flatMap(\.1)
        return Response(status: offset > 0 ? .partialContent : .ok, headers: headers, body: ResponseBody { writer in
            var finished = false
            defer {
                if !finished { caller.cancel(producer) }
            }
            if !firstData.isEmpty {
                try await writer.write(ByteBuffer(bytes: firstData))
            }
            var production = production
            var changes = control.changes.makeAsyncIterator()
            while true {
                switch production {
                case .finished(let status):
                    finished = true
                    guard status.code == .ok else { throw HTTPError(.internalServerError, message: status.message) }
                    try await writer.finish(nil)
                    return
                case .pending:
                    guard await changes.next() != nil else { return }
                case .more:
                    break
                }
                let (bytes, next) = try await caller.produce(producer, budget: 1 << 16)
                production = next
                for message in FramedMessages.split(bytes) {
                    try await writer.write(ByteBuffer(bytes: try unpack(message).1))
                }
            }
        })
    }

    /// An upload's failure: a file over the limit is 413 and content that does not match its
    /// checksum 422 (the client's to fix, where gRPC's mapping says 429 and 500).
    static func uploadError(_ status: RPCStatus) -> Response {
        let httpStatus: HTTPResponse.Status = switch status.code {
        case .resourceExhausted: .contentTooLarge
        case .dataLoss: .unprocessableContent
        default: status.code.httpStatus
        }
        return HTTPGateway.errorResponse(status, httpStatus: httpStatus)
    }

    /// A download call opened, with what its first pull gave.
    private struct OpenDownload {
        var producer: any ServerStreamProducer
        var control: EventStreamControl
        var production: StreamProduction
        var head: FileHead
        var messages: [(FileHead?, [UInt8])]
        var offset: Int64
    }

    /// Opens the download call `path` with `callRequest` (starting at `offset`) and pulls its
    /// first messages.
    private func open(
        _ path: String,
        _ callRequest: [UInt8],
        credentials: CallCredentials,
        offset: Int64,
        unpack: @escaping @Sendable ([UInt8]) throws -> (FileHead?, [UInt8])
    ) async throws -> Result<OpenDownload, RPCStatus> {
        let control = EventStreamControl()
        let producer: any ServerStreamProducer
        switch await caller.openStream(path, request: callRequest, credentials: credentials, waker: StreamWaker { control.wake() }) {
        case .success(let opened): producer = opened
        case .failure(let status): return .failure(status)
        }
        // The first message describes the file: the headers come from it.
        let (bytes, production) = try await caller.produce(producer, budget: 1 << 16)
        let messages = try FramedMessages.split(bytes).map(unpack)
        guard let head = messages.first?.0 else {
            caller.cancel(producer)
            if case .finished(let status) = production { return .failure(status) }
            return .failure(RPCStatus(code: .internalError, message: "no file description came first"))
        }
        return .success(OpenDownload(producer: producer, control: control, production: production, head: head, messages: messages, offset: offset))
    }

    /// `attachment` with `filename` as an ASCII fallback (other characters, quotes and
    /// backslashes as `_`) and, when it is not plain ASCII, as RFC 5987's UTF-8 `filename*`.
    static func contentDisposition(filename: String) -> String {
        let fallback = String(filename.unicodeScalars.map { scalar in
            scalar.isASCII && scalar.value >= 0x20 && scalar != "\"" && scalar != "\\" ? Character(scalar) : "_"
        })
        guard fallback != filename else { return "attachment; filename=\"\(filename)\"" }
        let encoded = filename.utf8.map { byte -> String in
            let isAttributeCharacter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || Array("!#$&+-.^_`|~".utf8).contains(byte)
            return isAttributeCharacter ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }

    /// The start of a `Range: bytes=N-` header; `nil` for any other form.
    static func rangeStart(_ range: String) -> Int64? {
        guard range.hasPrefix("bytes="), range.hasSuffix("-") else { return nil }
        let digits = range.dropFirst("bytes=".count).dropLast()
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int64(digits)
    }
}
