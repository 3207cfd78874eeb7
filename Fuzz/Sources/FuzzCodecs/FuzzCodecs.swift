@testable import HeaderFields
@testable import RPCCore

/// Fuzzes the header codecs: `grpc-timeout`, percent-encoded `grpc-message`, and a whole
/// request head (`-bin` base64 metadata included). The input is split at NUL bytes into
/// strings: the first is tried as a timeout and a status message, the rest become header fields
/// (name, value, name, value, …).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodecs(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    let parts = input.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    let first = parts.first ?? ""

    if let timeout = GRPCTimeout.parse(first) {
        precondition(timeout >= .zero, "negative timeout")
        let again = GRPCTimeout.parse(GRPCTimeout(timeout).headerValue)
        precondition(again != nil, "an encoded timeout does not parse")
    }

    let encoded = GRPCStatusMessage.percentEncode(first)
    precondition(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "percent-encoding left non-printable bytes")
    precondition(GRPCStatusMessage.percentDecode(encoded) == first, "percent-encoding does not round-trip")
    _ = GRPCStatusMessage.percentDecode(first)

    var fields = [
        HeaderField(name: ":method", value: "POST"),
        HeaderField(name: ":path", value: "/a.B/C"),
        HeaderField(name: "content-type", value: "application/grpc"),
    ]
    var index = 1
    while index + 1 < parts.count {
        fields.append(HeaderField(name: parts[index].lowercased(), value: parts[index + 1]))
        index += 2
    }
    if case .rpc(let head) = GRPCRequestHead.parse(fields) {
        var out: [HeaderField] = []
        head.metadata.appendHeaderFields(to: &out)
    }
    return 0
}
