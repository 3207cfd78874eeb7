import Testing
import WorkflowModel
@testable import WorkflowStore

/// The numbers stored for each enum case. Databases hold them: a failure here means a change
/// would misread every database written before it.
@Suite("Store codes")
struct StoreCodeTests {
    static let eventKinds: [(LogEventKind, UInt64)] = [
        (.workflowStarted, 0), (.workflowCompleted, 1), (.workflowFailed, 2), (.workflowCancelled, 3),
        (.jobStarted, 4), (.jobCompleted, 5), (.jobFailed, 6), (.jobCancelled, 7),
        (.stepLogged, 8), (.progressUpdated, 9), (.failureNotice, 10), (.gap, 11), (.workflowRetried, 12),
        (.jobRetryScheduled, 13), (.jobInterrupted, 14), (.workflowCancelRequested, 15), (.jobAssigned, 16), (.statsUpdated, 17),
    ]
    static let attemptOutcomes: [(JobAttempt.Outcome, UInt64)] = [(.failed, 0), (.timedOut, 1), (.interrupted, 2)]
    static let levels: [(LogLevel, UInt64)] = [(.debug, 0), (.info, 1), (.warn, 2), (.error, 3)]
    static let workflowStatuses: [(WorkflowStatus, UInt64)] = [(.running, 0), (.completed, 1), (.failed, 2), (.cancelled, 3)]
    static let jobStatuses: [(JobStatus, UInt64)] = [(.pending, 0), (.running, 1), (.completed, 2), (.failed, 3), (.cancelled, 4)]

    /// Checks that `table` names every case once, and that each case and its code map to each other.
    private static func check<T: StoreCoded & Hashable>(_ table: [(T, UInt64)]) throws {
        #expect(Set(table.map(\.0)) == Set(T.allCases), "every \(T.self) case needs a pinned code")
        #expect(table.count == T.allCases.count)
        for (value, code) in table {
            #expect(value.storeCode == code, "\(T.self).\(value)")
            #expect(try T(storeCode: code) == value)
        }
    }

    @Test("every case has the code pinned here, and each code reads back as its case")
    func codesArePinned() throws {
        try Self.check(Self.eventKinds)
        try Self.check(Self.levels)
        try Self.check(Self.workflowStatuses)
        try Self.check(Self.jobStatuses)
        try Self.check(Self.attemptOutcomes)
    }

    @Test("a code no case has is a decoding error naming the enum and the code")
    func unknownCode() {
        #expect(throws: UnknownStoreCode(type: "JobStatus", code: 5)) { try JobStatus(storeCode: 5) }
        var writer = BinaryWriter()
        writer.write(UInt64(1))  // sequence
        writer.write(Int64(0))  // timestamp
        writer.write(UInt64(99))  // kind
        let error = #expect(throws: UnknownStoreCode.self) { try RecordCodec.decodeEvent(writer.bytes) }
        #expect(error?.description.contains("LogEventKind code 99") == true)
    }
}
