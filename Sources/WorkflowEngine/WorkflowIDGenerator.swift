/// Makes workflow ids that sort by creation time: `wf-` and 12 Crockford base32 digits of
/// 42 bits of epoch milliseconds and 18 random bits, strictly increasing within one engine.
/// The random bits keep the ids of two engines apart; they come from a SplitMix64 sequence
/// seeded once per generator, not from a cryptographic source: an id is a name, not a secret
/// (every read checks the caller's access).
///
/// At 15 ASCII characters an id is a small string: copying one (into every event) allocates
/// and retains nothing.
struct WorkflowIDGenerator {
    static let digits = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    static let randomBits = 18
    private static let timeMask: UInt64 = (1 << 42) - 1

    private var last: UInt64 = 0
    /// The state of a SplitMix64 sequence for the random bits.
    private var randomState: UInt64

    /// A generator whose random bits start from `seed`; by default a seed drawn once from the
    /// system's generator, which costs a system call (`getrandom`) on every use.
    init(seed: UInt64 = .random(in: .min ... .max)) {
        randomState = seed
    }

    /// The next id, for a workflow created at `nowMs`.
    mutating func next(nowMs: Int64) -> String {
        let time = UInt64(max(0, nowMs)) & Self.timeMask
        let candidate = time << UInt64(Self.randomBits) | nextRandom() >> UInt64(64 - Self.randomBits)
        let value = max(candidate, last &+ 1)
        last = value
        return String(unsafeUninitializedCapacity: 15) { buffer in
            buffer[0] = UInt8(ascii: "w")
            buffer[1] = UInt8(ascii: "f")
            buffer[2] = UInt8(ascii: "-")
            for index in 0..<12 {
                let shift = UInt64(5 * (11 - index))
                buffer[3 + index] = Self.digits[Int((value >> shift) & 31)]
            }
            return 15
        }
    }

    /// The next 64 bits of SplitMix64 (Steele, Lea and Flood, 2014): a Weyl sequence, mixed.
    private mutating func nextRandom() -> UInt64 {
        randomState &+= 0x9E37_79B9_7F4A_7C15
        var mixed = randomState
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Whether `id` has the shape of an id this generator makes ("wf-" and 12 base-32 digits).
    static func isWellFormed(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 15, bytes.starts(with: Array("wf-".utf8)) else { return false }
        return bytes[3...].allSatisfy { digits.contains($0) }
    }
}
