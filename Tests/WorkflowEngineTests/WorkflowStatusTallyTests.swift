@testable import WorkflowEngine
import WorkflowModel
import Testing

@Suite("Counts of retained workflows by type and status")
struct WorkflowStatusTallyTests {
    @Test("counts follow adds and removes, by type then status, and a count that reaches zero is gone")
    func addsAndRemoves() {
        var tally = WorkflowStatusTally()
        tally.add(type: "TEST", status: .running)
        tally.add(type: "TEST", status: .running)
        tally.add(type: "IMPORT_ASSETS", status: .failed)
        tally.add(type: "TEST", status: .completed)
        tally.remove(type: "TEST", status: .running)
        #expect(tally.counts(ofType: nil) == [
            WorkflowCount(type: "IMPORT_ASSETS", status: .failed, count: 1),
            WorkflowCount(type: "TEST", status: .running, count: 1),
            WorkflowCount(type: "TEST", status: .completed, count: 1),
        ])
        tally.remove(type: "TEST", status: .running)
        tally.remove(type: "IMPORT_ASSETS", status: .failed)
        #expect(tally.counts(ofType: "TEST") == [WorkflowCount(type: "TEST", status: .completed, count: 1)])
        #expect(tally.counts(ofType: "IMPORT_ASSETS").isEmpty)
        #expect(tally.counts(ofType: nil) == [WorkflowCount(type: "TEST", status: .completed, count: 1)])
    }
}
