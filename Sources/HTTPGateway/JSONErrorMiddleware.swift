import Hummingbird
import RPCCore

/// Gives the errors Hummingbird answers itself (no route, a body over the limit, a malformed
/// request) the same JSON body as the API's own: `{"code", "status", "message"}`, keeping
/// their HTTP status.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            let message = (error as? HTTPError)?.body
                ?? (error.status == .notFound ? "no route for \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            return HTTPGateway.errorResponse(RPCStatus(code: Self.code(for: error.status), message: message), httpStatus: error.status)
        }
    }

    /// The gRPC code closest to an HTTP status, for the body's `code` and `status`.
    private static func code(for status: HTTPResponse.Status) -> RPCStatus.Code {
        switch status.code {
        case 400: .invalidArgument
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 405, 501: .unimplemented
        case 408, 504: .deadlineExceeded
        case 409: .aborted
        case 413, 429: .resourceExhausted
        case 503: .unavailable
        case 400..<500: .failedPrecondition
        default: .internalError
        }
    }
}
