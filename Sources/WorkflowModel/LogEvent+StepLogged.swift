extension LogEvent {
    /// The `stepLogged` event that recorded `step` of `job` in `workflow`, as watchers received
    /// it: for a step read back from a workflow's tree or from storage.
    public static func stepLogged(_ step: Step, of job: Job, in workflow: Workflow) -> LogEvent {
        LogEvent(
            sequence: step.sequence,
            timestampMs: step.timestampMs,
            kind: .stepLogged,
            level: step.level,
            message: step.message,
            workflowID: workflow.id,
            workflowType: workflow.type,
            userID: workflow.userID,
            job: JobRef(id: job.id, name: job.name, position: job.position),
            step: step,
            attempt: step.attempt
        )
    }
}
