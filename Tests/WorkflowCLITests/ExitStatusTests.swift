import Testing
import WorkflowCLI
import WorkflowMessages

@Suite struct ExitStatusTests {
    @Test func finalStatusesMapToTheDocumentedCodes() {
        #expect(ExitStatus(finalStatus: .completed)?.code == 0)
        #expect(ExitStatus(finalStatus: .failed)?.code == 1)
        #expect(ExitStatus(finalStatus: .cancelled)?.code == 2)
        #expect(ExitStatus(finalStatus: .running) == nil)
        #expect(ExitStatus(finalStatus: .unspecified) == nil)
    }

    @Test func errorCodesAreDistinct() {
        let codes = [ExitStatus.success, .failed, .cancelled, .serverError, .unreachable, .usage].map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(ExitStatus.serverError.code == 3)
        #expect(ExitStatus.unreachable.code == 4)
        #expect(ExitStatus.usage.code == 64)
    }
}
