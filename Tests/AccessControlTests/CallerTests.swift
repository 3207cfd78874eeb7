import Testing
@testable import AccessControl

@Suite("Roles and what they allow")
struct CallerTests {
    @Test("role names parse, a worker role needs its queue, and unknown names are refused by name")
    func roleNames() throws {
        #expect(Role("admin") == .admin)
        #expect(Role("operator") == .operator)
        #expect(Role("worker:imports") == .worker(queue: "imports"))
        #expect(Role("worker:") == nil)
        #expect(Role("worker") == nil)
        #expect(Role("Admin") == nil)
        #expect(try Role.parseList("user,viewer,worker:a") == [.user, .viewer, .worker(queue: "a")])
        #expect(throws: UnknownRole(name: "root")) { try Role.parseList("user,root") }
        #expect(Role.worker(queue: "q").description == "worker:q")
    }

    @Test("each role allows exactly its table row")
    func powers() {
        let admin = Caller(subject: "root", roles: [.admin])
        let operator_ = Caller(subject: "ops", roles: [.operator])
        let user = Caller(subject: "alice", roles: [.user])
        let viewer = Caller(subject: "view", roles: [.viewer])
        let worker = Caller(subject: "w", roles: [.worker(queue: "imports")])

        #expect([admin, operator_, user, viewer, worker].map(\.mayRead) == [true, true, true, true, false])
        #expect([admin, operator_, user, viewer, worker].map(\.mayStart) == [true, true, true, false, false])
        #expect([admin, operator_, user, viewer, worker].map(\.mayActForOthers) == [true, false, false, false, false])
        #expect([admin, operator_, user, viewer, worker].map(\.mayListWorkers) == [true, true, false, true, false])
        #expect([admin, operator_, user, viewer, worker].map(\.visibleOwner) == [nil, nil, "alice", nil, "w"])

        #expect([admin, operator_, user, viewer, worker].map { $0.sees(ownerID: "bob") } == [true, true, false, true, false])
        #expect(user.sees(ownerID: "alice"))
        #expect([admin, operator_, user, viewer, worker].map { $0.controls(ownerID: "bob") } == [true, true, false, false, false])
        #expect(user.controls(ownerID: "alice") && !viewer.controls(ownerID: "view"))

        #expect([admin, operator_, user, viewer, worker].map { $0.mayServe(queue: "imports") } == [true, false, false, false, true])
        #expect(!worker.mayServe(queue: "exports"))
        #expect(worker.isWorker && !admin.isWorker)
    }

    @Test("roles add up, and a caller without authentication may do everything")
    func combinedAndUnauthenticated() {
        let both = Caller(subject: "carol", roles: [.user, .worker(queue: "q")])
        #expect(both.mayStart && both.mayServe(queue: "q") && !both.sees(ownerID: "dave"))
        let anonymous = Caller.unauthenticated(certificateIdentity: nil)
        #expect(!anonymous.isAuthenticated && anonymous.subject.isEmpty)
        #expect(anonymous.seesEveryWorkflow && anonymous.controls(ownerID: "x") && anonymous.mayServe(queue: "any"))
        #expect(Caller.unauthenticated(certificateIdentity: "svc-orders").subject == "svc-orders")
        #expect(Caller.unauthenticated(certificateIdentity: "svc\u{7}orders") == anonymous)
        #expect(Caller.unauthenticated(certificateIdentity: "") == anonymous)
    }
}
