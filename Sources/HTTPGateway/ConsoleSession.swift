import HTTPTypes
import Hummingbird
import MessageRuntime
import RPCCore
import WorkflowMessages

/// The console's login: a bearer token, checked with `WhoAmI`, becomes an HTTP-only
/// `SameSite=Strict` session cookie (`Secure` under TLS) that the browser sends with every API
/// request and event stream, and a CSRF cookie the console's script repeats in `X-CSRF-Token`
/// on state-changing requests (``CallCredentials``). Script on the page can never read the
/// token.
struct ConsoleSession: Sendable {
    let caller: RouterCaller
    let isTLS: Bool

    private typealias Methods = WorkflowV1.WorkflowService

    /// `GET /api/v1/session`: who the request's credentials stand for (`WhoAmI` as JSON);
    /// UNAUTHENTICATED (401) without valid ones, which tells the console to show its login.
    func whoAmI(_ credentials: CallCredentials) async -> Response {
        switch await callWhoAmI(credentials) {
        case .success(let answer): HTTPGateway.json(answer.protoJSONBytes())
        case .failure(let status): HTTPGateway.errorResponse(status, httpStatus: status.code.httpStatus)
        }
    }

    /// `POST /api/v1/session` with `{"token": "…"}`: checks the token and, if the server takes
    /// it, answers with the caller and sets the cookies.
    func logIn(body: [UInt8], peerIdentity: String?) async -> Response {
        let token: String
        do throws(RPCStatus) {
            token = try Self.token(in: body)
        } catch {
            return HTTPGateway.errorResponse(error, httpStatus: error.code.httpStatus)
        }
        switch await callWhoAmI(.bearer(token, peerIdentity: peerIdentity)) {
        case .failure(let status):
            return HTTPGateway.errorResponse(status, httpStatus: status.code.httpStatus)
        case .success(let answer):
            var headers = HTTPFields()
            let secure = isTLS ? "; Secure" : ""
            headers.append(HTTPField(
                name: .setCookie, value: "\(CallCredentials.sessionCookie)=\(token); Path=/; HttpOnly; SameSite=Strict\(secure)"
            ))
            headers.append(HTTPField(
                name: .setCookie, value: "\(CallCredentials.csrfCookie)=\(Self.randomToken()); Path=/; SameSite=Strict\(secure)"
            ))
            return HTTPGateway.json(answer.protoJSONBytes(), headers: headers)
        }
    }

    /// `DELETE /api/v1/session`: expires both cookies.
    func logOut() -> Response {
        var headers = HTTPFields()
        for name in [CallCredentials.sessionCookie, CallCredentials.csrfCookie] {
            headers.append(HTTPField(name: .setCookie, value: "\(name)=; Path=/; Max-Age=0; SameSite=Strict"))
        }
        return HTTPGateway.json(Array("{}".utf8), headers: headers)
    }

    /// Refuses `/metrics` to a caller that may not see every workflow (the metrics count all
    /// of them); anyone may read them when the server does not authenticate.
    func requireMetricsReader(_ credentials: CallCredentials) async throws(RPCStatus) {
        let answer = try await callWhoAmI(credentials).get()
        guard answer.authenticated else { return }
        guard answer.roles.contains(where: { ["admin", "operator", "viewer"].contains($0) }) else {
            throw RPCStatus(code: .permissionDenied, message: "\(answer.subject) may not read metrics: that needs admin, operator or viewer")
        }
    }

    private func callWhoAmI(_ credentials: CallCredentials) async -> Result<WorkflowV1.WhoAmIResponse, RPCStatus> {
        switch await caller.unary(Methods.whoAmI.path, request: WorkflowV1.WhoAmIRequest().serializedBytes(), credentials: credentials) {
        case .success(let bytes):
            do {
                return .success(try WorkflowV1.WhoAmIResponse(serializedBytes: bytes))
            } catch {
                return .failure(RPCStatus(code: .internalError, message: "the server's answer does not decode: \(error)"))
            }
        case .failure(let status):
            return .failure(status)
        }
    }

    /// The `token` member of a login's JSON body: a non-empty string of cookie-safe characters.
    private static func token(in body: [UInt8]) throws(RPCStatus) -> String {
        let json = try RequestJSON.body(body)
        guard case .object(let members) = json.value, let member = members.first(where: { $0.key == "token" }),
              case .string(let token) = member.value, !token.isEmpty
        else {
            throw RPCStatus(code: .invalidArgument, message: "token: the body must be {\"token\": \"<bearer token>\"}")
        }
        // RFC 6265's cookie-octets, which every JWT and hex or base64url token is made of.
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"\",;\\".unicodeScalars.contains($0) }) else {
            throw RPCStatus(code: .invalidArgument, message: "token: holds characters no bearer token has")
        }
        return token
    }

    /// 32 random bytes in hex: the CSRF cookie.
    private static func randomToken() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).flatMap { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
