import Testing
import WorkflowCLI

@Suite struct ParameterListTests {
    @Test func splitsAtTheFirstEquals() throws {
        let params = try ParameterList.parse(["jobs=3", "query=a=b", "empty="])
        #expect(params == ["jobs": "3", "query": "a=b", "empty": ""])
    }

    @Test(arguments: [["jobs"], ["=3"], ["jobs=1", "jobs=2"]])
    func rejectsMalformedParameters(_ arguments: [String]) {
        #expect {
            _ = try ParameterList.parse(arguments)
        } throws: { error in
            (error as? CommandFailure)?.exitStatus == .usage
        }
    }
}
