/// Where `workflowd` listens: a host and a TCP port.
///
/// Written `host:port`, `host` (port 50051) or `[IPv6]:port`. The default is
/// `127.0.0.1:50051`; the environment variable ``environmentVariable`` overrides the default,
/// and `--address` overrides both.
///
/// ```swift
/// let address = try ServerAddress.resolve(option: nil, environment: ["WORKFLOWCTL_ADDRESS": "10.0.0.5:6000"])
/// // address.host == "10.0.0.5", address.port == 6000
/// ```
package struct ServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host name or IP address, without brackets.
    package var host: String

    /// The TCP port.
    package var port: Int

    /// `WORKFLOWCTL_ADDRESS`: the address used when `--address` is not given.
    package static let environmentVariable = "WORKFLOWCTL_ADDRESS"

    /// The port used when an address names none: 50051, gRPC's customary port.
    package static let defaultPort = 50051

    /// `127.0.0.1:50051`, where `Scripts/run.sh` starts the server.
    package static let defaultAddress = ServerAddress(host: "127.0.0.1", port: defaultPort)

    /// Creates an address from its parts.
    ///
    /// - Parameters:
    ///   - host: The host name or IP address, without brackets.
    ///   - port: The TCP port.
    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `host` or `[IPv6]:port`.
    ///
    /// - Parameter text: The address as written on the command line.
    /// - Throws: ``CommandFailure`` (usage) for an empty host or a port outside 1–65535.
    package init(parsing text: String) throws(CommandFailure) {
        let trimmed = text.trimmingASCIIWhitespace()
        let host: Substring
        let portText: Substring?
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else {
                throw Self.invalid(text, "an IPv6 address needs a closing ']'")
            }
            host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            if rest.isEmpty {
                portText = nil
            } else if rest.hasPrefix(":") {
                portText = rest.dropFirst()
            } else {
                throw Self.invalid(text, "expected ':port' after ']'")
            }
        } else if trimmed.filter({ $0 == ":" }).count > 1 {
            throw Self.invalid(text, "write an IPv6 address in brackets, as [::1]:50051")
        } else if let colon = trimmed.firstIndex(of: ":") {
            host = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
        } else {
            host = trimmed[...]
            portText = nil
        }
        guard !host.isEmpty else { throw Self.invalid(text, "the host is missing") }
        var port = Self.defaultPort
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw Self.invalid(text, "the port must be a number from 1 to 65535")
            }
            port = parsed
        }
        self.init(host: String(host), port: port)
    }

    /// The address to use: `option` if given, else the environment variable if set and not
    /// empty, else ``defaultAddress``.
    ///
    /// - Parameters:
    ///   - option: The value of `--address`, if any.
    ///   - environment: The process environment.
    /// - Returns: The parsed address.
    /// - Throws: ``CommandFailure`` (usage) when the chosen text is not a valid address; the
    ///   message names where it came from.
    package static func resolve(option: String?, environment: [String: String]) throws(CommandFailure) -> ServerAddress {
        if let option {
            return try ServerAddress(parsing: option)
        }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            do {
                return try ServerAddress(parsing: fromEnvironment)
            } catch {
                throw .usage("\(environmentVariable): \(error.message)")
            }
        }
        return defaultAddress
    }

    /// `host:port`, with an IPv6 host in brackets.
    package var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func invalid(_ text: String, _ reason: String) -> CommandFailure {
        .usage("invalid address '\(text)': \(reason) (expected host:port, such as 127.0.0.1:50051)")
    }
}
