@testable import RPCCore

/// Fuzzes `GRPCMessageDeframer`: the input (after two control bytes: a piece size and a message
/// size limit) is fed in pieces; every message returned must fit the limit, and the messages,
/// their prefixes and the partial message never account for more bytes than went in.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDeframer(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let pieceSize = Int(input[0]) + 1
    let limit = Int(input[1]) * 64
    var deframer = GRPCMessageDeframer(maxMessageSize: limit)
    var accounted = 0
    var offset = 2
    var failed = false
    while offset < size, !failed {
        let end = min(offset + pieceSize, size)
        deframer.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[offset..<end])))
        offset = end
        do {
            while let message = try deframer.next() {
                precondition(message.count <= limit, "a message over the limit was returned")
                accounted += message.count + 5
            }
        } catch {
            failed = true
        }
    }
    if !failed {
        precondition(accounted + deframer.partialByteCount <= size - 2, "more bytes out than in")
    }
    return 0
}
