import HTTPGateway
import Testing

@Suite("Loopback names and addresses")
struct LoopbackHostTests {
    @Test("localhost, 127.0.0.0/8, ::1 and IPv4-mapped 127/8 in any spelling are loopback; every other name is not")
    func loopback() {
        for host in ["localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"] {
            #expect(LoopbackHost.contains(host), "\(host)")
        }
        for host in ["", "evil.example", "evil.localhost", "localhost.evil.example", "127.0.0.1.evil.example", "10.0.0.1",
                     "0.0.0.0", "::", "::ffff:10.0.0.1", "[::1]", "127.0.0.1:80", "+127.0.0.1"] {
            #expect(!LoopbackHost.contains(host), "\(host)")
        }
    }
}
