import Testing
import RPCCore

@Suite struct GRPCTimeoutTests {
    @Test(arguments: [
        ("1H", Duration.seconds(3600)),
        ("2M", .seconds(120)),
        ("30S", .seconds(30)),
        ("250m", .milliseconds(250)),
        ("999u", .microseconds(999)),
        ("12345n", .nanoseconds(12345)),
        ("0S", .zero),
        ("0n", .zero),
        ("00000001m", .milliseconds(1)),
        ("99999999H", .seconds(Int64(99_999_999) * 3600)),
        ("99999999n", .nanoseconds(99_999_999)),
        ("12345678S", .seconds(12_345_678)),
    ])
    func parsesEveryUnit(value: String, expected: Duration) {
        #expect(GRPCTimeout.parse(value) == expected)
        #expect(GRPCTimeout.parse(value[...]) == expected)
    }

    @Test(arguments: [
        "", "S", "m", "1", "12345678", "123456789S", "000000000n", "1s", "1h", "1x", "1SS",
        "-1S", "+1S", " 1S", "1S ", "1 S", "1.5S", "１S", "1\u{0}", "0x1S", "1Sm",
    ])
    func rejectsInvalidValues(value: String) {
        #expect(GRPCTimeout.parse(value) == nil)
    }

    @Test func parsesFromRawBytes() {
        let bytes: [UInt8] = Array("15m".utf8)
        #expect(bytes.withUnsafeBytes { GRPCTimeout.parse(bytes: $0) } == .milliseconds(15))
    }

    @Test(arguments: [
        (Duration.seconds(7200), "2H"),
        (.seconds(3600 * 99_999_999), "99999999H"),
        (.seconds(90), "90S"),
        (.seconds(120), "2M"),
        (.seconds(59), "59S"),
        (.milliseconds(1500), "1500m"),
        (.milliseconds(1), "1m"),
        (.microseconds(1), "1u"),
        (.nanoseconds(1), "1n"),
        (.nanoseconds(99_999_999), "99999999n"),
        (.nanoseconds(100_000_001), "100001u"),     // rounded up: 100000.001 µs
        (.nanoseconds(12_345_678_912), "12345679u"),
        (.nanoseconds(123_456_789_123), "123457m"),  // 123456790u would need 9 digits
        (.seconds(100_000_000), "1666667M"),        // 1666666.67 min, rounded up
        (.seconds(99_999_999), "99999999S"),
    ])
    func encodesWithTheLargestExactUnit(duration: Duration, expected: String) {
        #expect(GRPCTimeout(duration).headerValue == expected)
    }

    @Test func subNanosecondPartsRoundUp() {
        #expect(GRPCTimeout(Duration(secondsComponent: 0, attosecondsComponent: 1)).headerValue == "1n")
        #expect(GRPCTimeout(Duration(secondsComponent: 1, attosecondsComponent: 1)).headerValue == "1000001u")
    }

    @Test func nonPositiveDurationsEncodeAsOneNanosecond() {
        #expect(GRPCTimeout(.zero).headerValue == "1n")
        #expect(GRPCTimeout(.seconds(-5)).headerValue == "1n")
    }

    @Test func hugeDurationsClampToTheLargestValue() {
        #expect(GRPCTimeout(.seconds(Int64.max)).headerValue == "99999999H")
        #expect(GRPCTimeout(.seconds(Int64(99_999_999) * 3600 + 1)).headerValue == "99999999H")
    }

    @Test(arguments: [
        Duration.nanoseconds(1), .nanoseconds(12_345), .microseconds(7), .milliseconds(250),
        .seconds(1), .seconds(61), .seconds(3600), .seconds(86_400 * 365), .milliseconds(99_999_999),
    ])
    func exactDurationsRoundTrip(duration: Duration) throws {
        let value = GRPCTimeout(duration).headerValue
        #expect(value.utf8.count <= 9)
        #expect(GRPCTimeout.parse(value) == duration)
    }

    @Test(arguments: [
        Duration.nanoseconds(123_456_789_123), .nanoseconds(100_000_001),
        Duration(secondsComponent: 12_345, attosecondsComponent: 1), .seconds(100_000_001),
    ])
    func roundedDurationsNeverShrink(duration: Duration) throws {
        let parsed = try #require(GRPCTimeout.parse(GRPCTimeout(duration).headerValue))
        #expect(parsed >= duration)
    }
}
