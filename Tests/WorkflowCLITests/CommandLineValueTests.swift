import Testing
import WorkflowCLI

/// The rules behind the options `workflowctl` commands share: `--output`/`--json` and the
/// options given in seconds (`--reconnect-timeout`, `--timeout`).
@Suite struct CommandLineValueTests {
    @Test(arguments: [
        (OutputMode?.none, false, OutputMode?.none),
        (nil, true, .json),
        (.text, false, .text),
        (.live, false, .live),
        (.text, true, .json),
        (.live, true, .json),
    ])
    func jsonIsShortForOutputJSONAndWins(output: OutputMode?, json: Bool, expected: OutputMode?) {
        #expect(OutputMode.requested(output: output, json: json) == expected)
    }

    @Test func commandsThatOnlyPrintRejectTheLiveView() throws {
        let printing: [OutputMode] = [.text, .json]
        #expect(throws: CommandFailure.usage("--output for get is text or json")) {
            try OutputMode.check(output: .live, accepted: printing, command: "get")
        }
        for output in [nil, .text, .json] as [OutputMode?] {
            try OutputMode.check(output: output, accepted: printing, command: "get")
        }
        for output in OutputMode.allCases {
            try OutputMode.check(output: output, accepted: OutputMode.allCases, command: "watch")
        }
        #expect(throws: CommandFailure.usage("--output for export is json")) {
            try OutputMode.check(output: .text, accepted: [.json], command: "export")
        }
    }

    @Test func secondsBecomeADurationToTheMillisecond() throws {
        #expect(try Duration(commandLineSeconds: 60, option: "--reconnect-timeout", allowingZero: true) == .seconds(60))
        #expect(try Duration(commandLineSeconds: 2.5, option: "--timeout", allowingZero: false) == .milliseconds(2500))
        #expect(try Duration(commandLineSeconds: 0, option: "--reconnect-timeout", allowingZero: true) == .zero)
        #expect(try Duration(commandLineSeconds: 1e9, option: "--timeout", allowingZero: false) == .seconds(1_000_000_000))
    }

    @Test(arguments: [-1, -0.001, Double.nan, -Double.infinity])
    func negativeSecondsAreAUsageError(seconds: Double) {
        #expect(throws: CommandFailure.usage("--reconnect-timeout must not be negative")) {
            try Duration(commandLineSeconds: seconds, option: "--reconnect-timeout", allowingZero: true)
        }
    }

    @Test func zeroIsAUsageErrorWhereItIsNoWait() {
        #expect(throws: CommandFailure.usage("--timeout must be positive")) {
            try Duration(commandLineSeconds: 0, option: "--timeout", allowingZero: false)
        }
    }

    @Test(arguments: [1e9 + 1, 1e300, Double.infinity])
    func secondsBeyondABillionAreAUsageError(seconds: Double) {
        #expect(throws: CommandFailure.usage("--reconnect-timeout must be at most 1000000000 seconds")) {
            try Duration(commandLineSeconds: seconds, option: "--reconnect-timeout", allowingZero: true)
        }
    }
}
