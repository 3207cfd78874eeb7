import Testing
import WorkflowMessages
import WorkflowModel
@testable import WorkflowService
import WorkflowTreePacking

/// `WorkflowTreePacking` packs the model the way the general path (`WorkflowV1.Workflow(_:)`,
/// then protoc-c) does, byte for byte.
@Suite("Workflow trees packed from the model")
struct WorkflowTreePackingTests {
    /// A tree with every field the wire carries set to something other than its default.
    private static let everyField: Workflow = {
        let worker = WorkerRef(name: "importer", instanceID: "importer-7f3a")
        let failed = JobAttempt(
            number: 1, outcome: .timedOut, startedAtMs: 1_700_000_000_100, finishedAtMs: 1_700_000_000_200,
            error: "Timed out after 30 s", errorCode: "TIMEOUT", stack: "Fetch.run:12", worker: worker
        )
        let steps = [
            Step(
                id: "wf-1-j1-s1", message: "Created P-101", level: .warn,
                entity: EntityReference(tag: "P-101", route: "/products/101", id: "101", type: "product"),
                timestampMs: 1_700_000_000_300, sequence: 41, attempt: 2
            ),
            Step(id: "wf-1-j1-s2", message: "No entity, a longer message than fits in a word", timestampMs: 1_700_000_000_400, sequence: 42),
        ]
        let fetch = Job(
            id: "wf-1-j1", name: "Fetch", position: 1, status: .failed, steps: steps, storedStepCount: 5,
            progress: 0.5, progressMessage: "half way",
            stats: Stats(durationMs: 120, counters: ["itemsProcessed": 2, "itemsFailed": 1, "bytes": 1 << 40]),
            error: "Connection refused", stack: "Fetch.run:40", startedAtMs: 1_700_000_000_050, finishedAtMs: 1_700_000_000_500,
            attempt: 2, failedAttempts: [failed], nextAttemptAtMs: 1_700_000_001_000, queue: "imports", worker: worker,
            outputs: ["rows_read": "16", "ärger": "ü"]
        )
        let prepare = Job(id: "wf-1-j0", name: "Prepare", position: 0, status: .completed)
        var workflow = Workflow(
            id: "wf-1", type: "IMPORT_ASSETS", summary: "Import from the catalogue", status: .failed,
            createdAtMs: 1_700_000_000_000, startedAtMs: 1_700_000_000_010, finishedAtMs: 1_700_000_000_600,
            userID: "u-42", userName: "Ada", params: ["source": "catalogue", "b": "2", "a": "1", "é": "accent"],
            jobs: [prepare, fetch], stats: Stats(durationMs: 590, counters: ["itemsProcessed": 2]),
            error: "Connection refused", failedJobID: "wf-1-j1", failedJobName: "Fetch", requestID: "req-9",
            attempt: 2, deadlineAtMs: 1_700_000_060_000, cancelReason: "not on the wire",
            result: ["report": "r.csv", "count": "2"],
            startedBy: "service:importer", retriedBy: "user:ada", cancelledBy: "user:bob"
        )
        workflow.artifacts = [
            Artifact(
                name: "report.csv", contentType: "text/csv", sizeBytes: 2_048, sha256: String(repeating: "ab", count: 32),
                workflowID: "wf-1", jobID: "wf-1-j1", createdAtMs: 1_700_000_000_550
            ),
        ]
        return workflow
    }()

    @Test(arguments: [true, false])
    func everyFieldPacksAsTheGeneralPathDoes(includingSteps: Bool) throws {
        try expectTheSamePacking(of: Self.everyField, includingSteps: includingSteps)
    }

    @Test func aTreeOfDefaultsPacksAsTheGeneralPathDoes() throws {
        let bare = Workflow(id: "", type: "", createdAtMs: 0, startedAtMs: 0, jobs: [Job(id: "", name: "", position: 0)])
        try expectTheSamePacking(of: bare, includingSteps: true)
    }

    /// A step numbered by the engine keeps its id in parts, which packing writes itself.
    @Test func stepIDsOfEveryShapePackAsTheGeneralPathDoes() throws {
        let ids = ["wf-1-j1-s1", "wf-1-j1-s4294967295", "wf-1-j1-s0", "imported step ✓", "-s3", "", "a-s1-s22", "wf\u{0}-s4"]
        var job = Job(id: "wf-1-j1", name: "Fetch", position: 0)
        job.steps = ids.map { Step(id: $0, message: "m", timestampMs: 1) }
        job.steps.append(Step(id: StepID(number: 12, ofJob: job.id), message: "numbered", timestampMs: 2))
        let workflow = Workflow(id: "wf-1", type: "TEST", createdAtMs: 0, startedAtMs: 0, jobs: [job])
        try expectTheSamePacking(of: workflow, includingSteps: true)
        let decoded = try WorkflowV1.Workflow(serializedBytes: WorkflowTreePacking.bytes(of: workflow, includingSteps: true))
        // protoc-c's `char *` fields end at an embedded NUL, on either path.
        #expect(decoded.jobs[0].steps.map(\.id) == ids.dropLast() + ["wf", "wf-1-j1-s12"])
    }

    @Test(arguments: [0, 1, 1 << 40] as [UInt64])
    func anAnswerIsTheTreeWithTheReadsSequence(asOfSequence: UInt64) throws {
        let tree = WorkflowTreePacking.bytes(of: Self.everyField, includingSteps: true)
        var expected = try WorkflowV1.Workflow(serializedBytes: tree)
        expected.asOfSequence = asOfSequence
        let answer = WorkflowTreePacking.answer(tree: tree, asOfSequence: asOfSequence)
        #expect(answer.starts(with: tree))
        #expect(try WorkflowV1.Workflow(serializedBytes: answer) == expected)
    }

    /// Compares the decoded messages first, whose difference reads better than the bytes'.
    private func expectTheSamePacking(of workflow: Workflow, includingSteps: Bool) throws {
        let packed = WorkflowTreePacking.bytes(of: workflow, includingSteps: includingSteps)
        let general = WorkflowV1.Workflow(workflow, includingSteps: includingSteps).serializedBytes()
        #expect(try WorkflowV1.Workflow(serializedBytes: packed) == WorkflowV1.Workflow(serializedBytes: general))
        #expect(packed.elementsEqual(general), "the same fields in other bytes")
    }

    /// The comparison above proves nothing for a field the fixture leaves at its default: both
    /// paths would leave it out. A field added to `workflow.v1` fails this until the fixture
    /// sets it, and then the comparison until both paths pack it.
    @Test func theFixtureSetsEveryFieldOfTheMessage() throws {
        let decoded = try WorkflowV1.Workflow(serializedBytes: WorkflowTreePacking.bytes(of: Self.everyField, includingSteps: true))
        // The first job, with nothing but its name, shows that absent values stay absent.
        let unset = Self.defaultFields(of: decoded, path: "workflow").filter { !$0.hasPrefix("workflow.jobs[0]") }
        // A step without an entity; `as_of_sequence` is each GetWorkflow's, not the tree's.
        #expect(unset == ["workflow.jobs[1].steps[1].entity", "workflow.asOfSequence"])
    }

    /// The paths of `value`'s fields, recursively, that hold their proto3 default: an empty
    /// string, bytes, list or map, a zero, `false`, an absent message, an enum's 0.
    static func defaultFields(of value: Any, path: String) -> [String] {
        let mirror = Mirror(reflecting: value)
        switch value {
        case let text as String: return text.isEmpty ? [path] : []
        case let flag as Bool: return flag ? [] : [path]
        // Zero has as many trailing zero bits as the type has bits.
        case let number as any BinaryInteger: return number.trailingZeroBitCount == number.bitWidth ? [path] : []
        case let number as any BinaryFloatingPoint: return number.isZero ? [path] : []
        case let bytes as [UInt8]: return bytes.isEmpty ? [path] : []
        default: break
        }
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return [path] }
            return defaultFields(of: wrapped, path: path)
        case .collection:
            guard !mirror.children.isEmpty else { return [path] }
            return mirror.children.enumerated().flatMap { index, child in defaultFields(of: child.value, path: "\(path)[\(index)]") }
        case .dictionary:
            return mirror.children.isEmpty ? [path] : []
        default:
            // Enums are structs of one `rawValue`: their path is the field's, not the raw value's.
            if mirror.children.count == 1, mirror.children.first?.label == "rawValue" {
                return defaultFields(of: mirror.children.first!.value, path: path)
            }
            return mirror.children.flatMap { child in defaultFields(of: child.value, path: "\(path).\(child.label ?? "?")") }
        }
    }
}
