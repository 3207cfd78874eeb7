import Testing
@testable import WorkflowEngine

@Suite("Duration in whole units")
struct DurationConversionTests {
    @Test("whole nanoseconds drop what is below a nanosecond and saturate past Int64")
    func wholeNanoseconds() {
        #expect(Duration.milliseconds(500).wholeNanoseconds == 500_000_000)
        #expect((Duration.seconds(2) + .nanoseconds(7)).wholeNanoseconds == 2_000_000_007)
        #expect(Duration(secondsComponent: 1, attosecondsComponent: 999_999_999).wholeNanoseconds == 1_000_000_000)
        #expect(Duration.seconds(Int64.max / 1_000).wholeNanoseconds == .max)
        #expect(Duration.seconds(Int64.min / 1_000).wholeNanoseconds == .min)
    }

    @Test("whole milliseconds, through the same conversion, drop what is below a millisecond and saturate")
    func wholeMilliseconds() {
        #expect(Duration(secondsComponent: 1, attosecondsComponent: 999_999_999_999_999).wholeMilliseconds == 1_000)
        #expect((Duration.seconds(3) + .milliseconds(250)).wholeMilliseconds == 3_250)
        #expect(Duration.seconds(Int64.max / 10).wholeMilliseconds == .max)
    }
}
