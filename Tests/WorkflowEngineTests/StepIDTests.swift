import Testing
import WorkflowEngine
@testable import WorkflowModel

/// A step keeps its id as its job's id and a number when it is `<job id>-s<n>`, and whole
/// otherwise: either way it must read, compare and hash as the id it was given.
@Suite("Step ids")
struct StepIDTests {
    private static func step(id: String) -> Step {
        Step(id: id, message: "m", timestampMs: 1)
    }

    private static func step(number: Int, ofJob jobID: String) -> Step {
        Step(id: StepID(number: number, ofJob: jobID), message: "m", timestampMs: 1)
    }

    /// Ids of every shape: numbered, almost numbered, empty, and not ASCII.
    static let ids = [
        "wf-01JD8Q2M4N5P-j1-s1", "wf-1-j1-s4294967295", "wf-1-j1-s4294967296", "wf-1-j1-s0", "wf-1-j1-s01",
        "wf-1-j1-s", "wf-1-j1-S1", "wf-1-j1s1", "-s7", "s7", "7", "", "a-s1-s2", "a-s-s3", "a--s12", "ü-s9 ✓", "ü-s9",
        "imported step", "wf-1-j1-s12345678901", "wf-1-j1-s" + String(repeating: "9", count: 20),
    ]

    @Test("an id reads back as given, and its UTF-8 is written as it reads", arguments: ids)
    func readsBackAsGiven(id: String) {
        let step = Self.step(id: id)
        #expect(step.id == id)
        #expect(step.idParts.utf8Count == id.utf8.count)
        var written = [UInt8](repeating: 0xFF, count: id.utf8.count + 1)
        written.withUnsafeMutableBytes { step.idParts.copyUTF8(to: $0.baseAddress!) }
        #expect(written.dropLast().elementsEqual(id.utf8))
        #expect(written.last == 0xFF, "nothing written past the id")
    }

    @Test("a step the engine numbers equals one given its id as a string, hash included")
    func numberedEqualsGiven() {
        for (number, jobID) in [(1, "wf-01JD8Q2M4N5P-j1"), (10, "wf-1-j2"), (4_294_967_295, "j"), (3, ""), (2, "a-s1")] {
            let numbered = Self.step(number: number, ofJob: jobID)
            let given = Self.step(id: "\(jobID)-s\(number)")
            #expect(numbered.id == "\(jobID)-s\(number)")
            #expect(numbered == given)
            #expect(numbered.hashValue == given.hashValue)
            #expect(Set([numbered, given]).count == 1)
        }
    }

    @Test("ids Swift holds equal (canonically equivalent) are equal steps with equal hashes")
    func canonicalEquivalence() {
        let precomposed = Self.step(id: "\u{E9}-s5")
        let decomposed = Self.step(id: "e\u{301}-s5")
        #expect(precomposed == decomposed)
        #expect(precomposed.hashValue == decomposed.hashValue)
        #expect(Self.step(number: 5, ofJob: "\u{E9}") == decomposed)
    }

    @Test("the engine's steps share their job's id string instead of holding ids of their own")
    func engineStepsShareTheJobID() async throws {
        let template = WorkflowTemplate(type: "SHARED_IDS", jobs: [
            JobDefinition(name: "Log") { context in
                for index in 1...3 {
                    context.logStep("Step \(index)")
                }
            },
        ])
        let engine = EngineTesting.makeEngine([template])
        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "SHARED_IDS"), on: engine)
        let job = workflow.jobs[0]
        #expect(job.steps.map(\.id) == (1...3).map { "\(job.id)-s\($0)" })
        let jobStorage = Self.storage(of: job.id)
        #expect(jobStorage != nil, "a job id is too long to be held inline")
        #expect(job.steps.allSatisfy { Self.storage(of: $0.idParts.prefix) == jobStorage })
        #expect(events.of(.stepLogged).allSatisfy { Self.storage(of: $0.step!.idParts.prefix) == jobStorage })
    }

    /// Where a string's UTF-8 lies: the same address for two strings that share one buffer.
    static func storage(of text: String) -> UnsafeRawPointer? {
        text.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    @Test("a number out of the compact range still makes the id asked for")
    func outOfRangeNumbers() {
        for number in [0, -1, 4_294_967_296, Int.max] {
            let numbered = Self.step(number: number, ofJob: "wf-1-j1")
            #expect(numbered.id == "wf-1-j1-s\(number)")
            #expect(numbered == Self.step(id: "wf-1-j1-s\(number)"))
        }
    }

    @Test("different ids are different steps, whatever their shape")
    func differentIDsDiffer() {
        let steps = Self.ids.map(Self.step(id:))
        #expect(Set(steps).count == Self.ids.count)
        #expect(Self.step(number: 1, ofJob: "a-s1") != Self.step(number: 11, ofJob: "a-s"))
        #expect(Self.step(number: 12, ofJob: "a-s1") != Self.step(number: 2, ofJob: "a-s1-s1"))
    }

    @Test("setting the id replaces it, in either shape")
    func settingTheID() {
        var step = Self.step(number: 3, ofJob: "wf-1-j1")
        step.id = "imported"
        #expect(step.id == "imported" && step == Self.step(id: "imported"))
        step.id = "wf-1-j2-s5"
        #expect(step.id == "wf-1-j2-s5" && step == Self.step(number: 5, ofJob: "wf-1-j2"))
    }

    @Test("a decoder's id shares the job's string only when the id is that job's numbered id")
    func decodedIDs() {
        for (id, jobID) in [("wf-1-j1-s2", "wf-1-j1"), ("wf-1-j1-s2", "wf-1-j2"), ("wf-1-j1-s02", "wf-1-j1"), ("other", "wf-1-j1"), ("wf-1-j1-s2", nil)] {
            let decoded = Array(id.utf8).withUnsafeBytes { StepID(utf8: $0, sharingPrefixWith: jobID) }
            #expect(decoded.text == id)
            #expect(decoded == StepID(id))
        }
    }
}
