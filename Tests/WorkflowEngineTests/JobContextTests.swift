import Testing
import WorkflowModel
@testable import WorkflowEngine

@Suite("JobContext")
struct JobContextTests {
    @Test("progress outside 0...1 or NaN is refused")
    func progressValidation() async throws {
        let outcomes = Box<[String]>([])
        let template = WorkflowTemplate(type: "PROGRESS", jobs: [
            JobDefinition(name: "Report") { context in
                for value in [Double.nan, -0.1, 1.1, .infinity, 0, 0.5, 1] {
                    do throws(EngineError) {
                        try context.updateProgress(value, message: "at \(value)")
                        outcomes.update { $0.append("ok \(value)") }
                    } catch {
                        outcomes.update { $0.append("\(error.code) \(error.field ?? "-") \(value)") }
                    }
                }
            },
        ])
        let engine = EngineTesting.makeEngine([template])

        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "PROGRESS"), on: engine)

        #expect(outcomes.current == [
            "invalidArgument progress nan",
            "invalidArgument progress -0.1",
            "invalidArgument progress 1.1",
            "invalidArgument progress inf",
            "ok 0.0",
            "ok 0.5",
            "ok 1.0",
        ])
        let progress = events.of(.progressUpdated)
        #expect(progress.map(\.progress) == [0, 0.5, 1])
        #expect(progress.map(\.message) == ["at 0.0", "at 0.5", "at 1.0"])
        #expect(progress.allSatisfy { $0.level == .info && $0.job?.name == "Report" })
        #expect(workflow.jobs[0].progressMessage == "at 1.0")
    }

    @Test("10,000 steps are all recorded, in order, before the job completes")
    func manyStepsInOrder() async throws {
        let count = 10_000
        let engine = EngineTesting.makeEngine()
        let request = WorkflowRequest(type: "TEST", params: ["jobs": "1", "steps": "\(count)", "step_delay_ms": "0"])

        let (workflow, events) = try await EngineTesting.run(request, on: engine)

        #expect(workflow.status == .completed)
        let steps = workflow.jobs[0].steps
        #expect(steps.count == count)
        #expect(steps.map(\.message) == (1...count).map { "Processed item \($0) of \(count)" })
        #expect(Set(steps.map(\.id)).count == count)
        let stepEvents = events.of(.stepLogged)
        #expect(stepEvents.map(\.sequence) == steps.map(\.sequence))
        #expect(stepEvents.allSatisfy { $0.step?.sequence == $0.sequence })
        #expect(stepEvents.map(\.step) == steps.map { Optional($0) })
        let progress = events.of(.progressUpdated)
        #expect(progress.count == count)
        #expect(zip(progress, progress.dropFirst()).allSatisfy { $0.progress! < $1.progress! })
        let started = try #require(events.first(.jobStarted, position: 0))
        let completed = try #require(events.first(.jobCompleted, position: 0))
        #expect(stepEvents.first!.sequence > started.sequence)
        #expect(stepEvents.last!.sequence < completed.sequence)
        #expect(progress.last!.sequence < completed.sequence)
        #expect(completed.stats?.counters == ["itemsProcessed": Int64(count)])
    }

    @Test("steps of levels and entities are carried as logged; empty entities are dropped")
    func stepFields() async throws {
        let template = WorkflowTemplate(type: "FIELDS", jobs: [
            JobDefinition(name: "Log") { context in
                context.logStep("Created P-101", entity: EntityReference(tag: "P-101", route: "/assets/123", id: "123", type: "Asset"))
                context.logStep("Detail", level: .debug, entity: EntityReference())
                context.logStep("Careful", level: .warn)
            },
        ])
        let engine = EngineTesting.makeEngine([template])

        let (workflow, events) = try await EngineTesting.run(WorkflowRequest(type: "FIELDS", userID: "u-9"), on: engine)

        let steps = workflow.jobs[0].steps
        #expect(steps.map(\.level) == [.info, .debug, .warn])
        #expect(steps[0].entity == EntityReference(tag: "P-101", route: "/assets/123", id: "123", type: "Asset"))
        #expect(steps[1].entity == nil)
        #expect(steps.map(\.id) == ["\(workflow.jobs[0].id)-s1", "\(workflow.jobs[0].id)-s2", "\(workflow.jobs[0].id)-s3"])
        let stepEvents = events.of(.stepLogged)
        #expect(stepEvents.map(\.level) == [.info, .debug, .warn])
        #expect(stepEvents.map(\.message) == ["Created P-101", "Detail", "Careful"])
        #expect(stepEvents.allSatisfy { $0.userID == "u-9" && $0.workflowType == "FIELDS" && $0.job?.id == workflow.jobs[0].id })
    }

    @Test("steps logged after the job returned are ignored")
    func lateStepsIgnored() async throws {
        let kept = Box<JobContext?>(nil)
        let template = WorkflowTemplate(type: "LATE", jobs: [
            JobDefinition(name: "Leak") { context in
                #expect(context.jobName == "Leak")
                #expect(context.workflowType == "LATE")
                #expect(context.params == ["a": "b"])
                #expect(!context.isCancelled)
                context.logStep("In time")
                kept.update { $0 = context }
            },
        ])
        let engine = EngineTesting.makeEngine([template])
        let (workflow, _) = try await EngineTesting.run(WorkflowRequest(type: "LATE", params: ["a": "b"]), on: engine)
        let last = engine.events.lastSequence

        let context = try #require(kept.current)
        context.logStep("Too late")
        try context.updateProgress(0.5)
        let after = try await engine.workflow(id: workflow.id)

        #expect(context.workflowID == workflow.id)
        #expect(engine.events.lastSequence == last)
        #expect(after.jobs[0].steps.map(\.message) == ["In time"])
    }
}
