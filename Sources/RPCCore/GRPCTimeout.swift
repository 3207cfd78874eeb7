/// The `grpc-timeout` request header: how long the client waits for the call.
///
/// On the wire a timeout is 1 to 8 ASCII digits followed by one unit letter:
/// `H` (hours), `M` (minutes), `S` (seconds), `m` (milliseconds), `u` (microseconds) or
/// `n` (nanoseconds). A server parses it with ``parse(_:)`` and answers an invalid value with
/// status INTERNAL, as stock gRPC servers do; a client encodes one with ``headerValue``.
///
/// ```swift
/// GRPCTimeout.parse("250m")                        // .milliseconds(250)
/// GRPCTimeout(.seconds(90)).headerValue            // "90S"
/// GRPCTimeout(.milliseconds(1500)).headerValue     // "1500m"
/// ```
package struct GRPCTimeout: Hashable, Sendable {
    /// The most digits a timeout value may have.
    package static let maxDigits = 8

    /// The timeout this header value stands for.
    package var duration: Duration

    /// Creates a timeout to send.
    ///
    /// - Parameter duration: How long the client waits. Non-positive durations are sent as
    ///   `1n` (gRPC values are positive; the deadline has passed either way), durations over
    ///   99,999,999 hours as `99999999H`.
    @inlinable
    package init(_ duration: Duration) {
        self.duration = duration
    }

    /// Parses a `grpc-timeout` header value.
    ///
    /// Strict: exactly 1 to 8 ASCII digits (leading zeros allowed, `0` included) and then
    /// exactly one unit letter of `H M S m u n`, with no sign, space or anything else.
    ///
    /// - Parameter value: The header value.
    /// - Returns: The timeout, or `nil` if `value` is not a valid timeout.
    @inlinable
    package static func parse(_ value: some StringProtocol) -> Duration? {
        if let parsed = value.utf8.withContiguousStorageIfAvailable({ parse(bytes: UnsafeRawBufferPointer($0)) }) {
            return parsed
        }
        return Array(value.utf8).withUnsafeBytes { parse(bytes: $0) }
    }

    /// Parses a `grpc-timeout` header value given as its bytes; see ``parse(_:)``.
    ///
    /// - Parameter bytes: The header value's bytes.
    /// - Returns: The timeout, or `nil` if `bytes` are not a valid timeout.
    package static func parse(bytes: UnsafeRawBufferPointer) -> Duration? {
        let count = bytes.count
        guard count >= 2, count <= maxDigits + 1 else { return nil }
        var value: Int64 = 0
        for index in 0..<(count - 1) {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        switch bytes[count - 1] {
        case UInt8(ascii: "H"): return .seconds(value * 3600)
        case UInt8(ascii: "M"): return .seconds(value * 60)
        case UInt8(ascii: "S"): return .seconds(value)
        case UInt8(ascii: "m"): return .milliseconds(value)
        case UInt8(ascii: "u"): return .microseconds(value)
        case UInt8(ascii: "n"): return .nanoseconds(value)
        default: return nil
        }
    }

    /// The `grpc-timeout` header value for ``duration``.
    ///
    /// Uses the largest unit that represents the duration exactly in at most 8 digits
    /// (`2H`, `90S`, `1500m`). When no unit is exact, the smallest unit that fits in 8 digits,
    /// rounding up so that the server never gives up earlier than the client
    /// (`Duration.nanoseconds(12_345_678_912)` becomes `12345679u`).
    package var headerValue: String {
        guard duration > .zero else { return "1n" }
        let (seconds, attoseconds) = duration.components
        // Whole nanoseconds, rounded up; UInt128 holds any Duration.
        let nanoseconds = UInt128(seconds) * 1_000_000_000
            + UInt128((attoseconds + 999_999_999) / 1_000_000_000)
        let limit: UInt128 = 99_999_999
        // Largest exact unit first: exact in a unit means exact in all smaller ones, and the
        // largest exact unit has the fewest digits.
        for unit in Self.units.reversed() where nanoseconds % unit.nanoseconds == 0 {
            let value = nanoseconds / unit.nanoseconds
            if value <= limit { return "\(value)\(unit.letter)" }
            break
        }
        // Otherwise the finest unit that fits, rounded up.
        for unit in Self.units {
            let value = (nanoseconds + unit.nanoseconds - 1) / unit.nanoseconds
            if value <= limit { return "\(value)\(unit.letter)" }
        }
        return "99999999H"
    }

    /// The units from finest to coarsest.
    private static let units: [(letter: Character, nanoseconds: UInt128)] = [
        ("n", 1),
        ("u", 1_000),
        ("m", 1_000_000),
        ("S", 1_000_000_000),
        ("M", 60_000_000_000),
        ("H", 3_600_000_000_000),
    ]
}
