import AccessControl
import RPCCore

/// Puts authentication and a ``Permission`` in front of every handler it wraps: a call whose
/// credentials are missing or refused ends UNAUTHENTICATED, one whose roles do not allow the
/// method PERMISSION_DENIED, before the handler sees the request; the handler gets the
/// ``Caller`` for its finer checks.
///
/// Every method of the workflow.v1 services is registered through one (a test walks the
/// router's paths and calls each without credentials); health and reflection stay open.
///
/// ```swift
/// router.register(Methods.getWorkflow, access.unary(.read, getWorkflow))
/// ```
struct AccessGuard: Sendable {
    let authenticator: CallerAuthenticator

    /// The authenticated caller of a call, if its roles allow `permission`.
    func caller(of context: ServerCallContext, needing permission: Permission) throws(RPCStatus) -> Caller {
        try check(of: context, needing: permission).caller
    }

    /// The authenticated caller of a call, if its roles allow `permission`, with the means to
    /// check later that its credentials still stand.
    func check(of context: ServerCallContext, needing permission: Permission) throws(RPCStatus) -> CallerCheck {
        let authorization = context.metadata.firstString(forKey: "authorization")
        switch authenticator.authenticate(authorization: authorization, certificateIdentity: context.peerIdentity) {
        case .failure(let failure):
            throw RPCStatus(code: .unauthenticated, message: failure.message)
        case .success(let caller):
            guard permission.allows(caller) else {
                let roles = caller.roleNames.isEmpty ? "no roles" : "roles: " + caller.roleNames.joined(separator: ", ")
                throw RPCStatus(
                    code: .permissionDenied,
                    message: "\(caller.subject) (\(roles)) may not \(permission.action): that needs \(permission.roles)"
                )
            }
            return CallerCheck(
                caller: caller, authenticator: authenticator, authorization: authorization, certificateIdentity: context.peerIdentity
            )
        }
    }

    /// A unary handler that runs only for a caller allowed `permission`.
    func unary(
        _ permission: Permission,
        _ handler: @escaping @Sendable (_ request: [UInt8], _ caller: Caller, _ responder: UnaryResponder) -> Void
    ) -> RPCHandler {
        .unary { request, context, responder in
            let caller: Caller
            do throws(RPCStatus) {
                caller = try self.caller(of: context, needing: permission)
            } catch {
                return responder.fail(error)
            }
            handler(request, caller, responder)
        }
    }

    /// A server-streaming handler that starts only for a caller allowed `permission`; a
    /// stream that lasts checks its ``CallerCheck`` as it goes.
    func serverStreaming(
        _ permission: Permission,
        _ start: @escaping @Sendable (_ request: [UInt8], _ check: CallerCheck, _ waker: StreamWaker) throws(RPCStatus) -> any ServerStreamProducer
    ) -> RPCHandler {
        .serverStreaming { request, context, waker throws(RPCStatus) in
            try start(request, try self.check(of: context, needing: permission), waker)
        }
    }

    /// A request-streaming handler that starts only for a caller allowed `permission`; a
    /// stream that lasts checks its ``CallerCheck`` as it goes.
    func requestStreaming(
        _ permission: Permission,
        _ start: @escaping @Sendable (_ check: CallerCheck, _ waker: StreamWaker) throws(RPCStatus) -> any RequestStreamHandler
    ) -> RPCHandler {
        .bidirectionalStreaming { context, waker throws(RPCStatus) in
            try start(try self.check(of: context, needing: permission), waker)
        }
    }
}
