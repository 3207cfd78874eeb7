import Testing
import WorkflowCLI

@Suite struct ServerAddressTests {
    @Test func parsesHostPortForms() throws {
        #expect(try ServerAddress(parsing: "127.0.0.1:6000") == ServerAddress(host: "127.0.0.1", port: 6000))
        #expect(try ServerAddress(parsing: "localhost") == ServerAddress(host: "localhost", port: 50051))
        #expect(try ServerAddress(parsing: "[::1]:7000") == ServerAddress(host: "::1", port: 7000))
        #expect(try ServerAddress(parsing: "[::1]") == ServerAddress(host: "::1", port: 50051))
        #expect(try ServerAddress(parsing: " example.org:1 ").host == "example.org")
        #expect(ServerAddress(host: "::1", port: 7000).description == "[::1]:7000")
    }

    @Test(arguments: ["", ":50051", "host:0", "host:65536", "host:http", "::1:50051", "[::1", "[::1]x"])
    func rejectsMalformedAddressesAsUsageErrors(_ text: String) {
        #expect {
            _ = try ServerAddress(parsing: text)
        } throws: { error in
            (error as? CommandFailure)?.exitStatus == .usage
        }
    }

    @Test func optionBeatsEnvironmentBeatsDefault() throws {
        let environment = [ServerAddress.environmentVariable: "10.1.2.3:9000"]
        #expect(try ServerAddress.resolve(option: "h:1", environment: environment) == ServerAddress(host: "h", port: 1))
        #expect(try ServerAddress.resolve(option: nil, environment: environment) == ServerAddress(host: "10.1.2.3", port: 9000))
        #expect(try ServerAddress.resolve(option: nil, environment: [:]) == .defaultAddress)
        #expect(try ServerAddress.resolve(option: nil, environment: [ServerAddress.environmentVariable: ""]) == .defaultAddress)
    }

    @Test func aBadEnvironmentValueNamesTheVariable() {
        #expect {
            _ = try ServerAddress.resolve(option: nil, environment: [ServerAddress.environmentVariable: "h:x"])
        } throws: { error in
            (error as? CommandFailure)?.message.hasPrefix("WORKFLOWCTL_ADDRESS:") == true
        }
    }
}
