import WorkflowMessages

// Short, stable names for the proto enums, as `workflowctl` prints them in text and JSON:
// the proto name without its type prefix (`LOG_EVENT_KIND_STEP_LOGGED` → `STEP_LOGGED`). A value
// this build does not know prints as its number, so output never fails on a newer server.

extension WorkflowV1.LogEventKind {
    /// The proto name without `LOG_EVENT_KIND_`, such as `STEP_LOGGED`.
    package var shortName: String { description.removingPrefix("LOG_EVENT_KIND_") }

    /// Whether the kind ends its workflow (COMPLETED, FAILED or CANCELLED).
    package var isTerminal: Bool {
        self == .workflowCompleted || self == .workflowFailed || self == .workflowCancelled
    }
}

extension WorkflowV1.JobAttemptOutcome {
    /// The proto name without `JOB_ATTEMPT_OUTCOME_`, such as `TIMED_OUT`.
    package var shortName: String { description.removingPrefix("JOB_ATTEMPT_OUTCOME_") }
}

extension WorkflowV1.LogLevel {
    /// The proto name without `LOG_LEVEL_`, such as `INFO`.
    package var shortName: String { description.removingPrefix("LOG_LEVEL_") }

    /// Parses a level as written on the command line: `debug`, `info`, `warn` (or `warning`),
    /// `error`, in any case.
    ///
    /// - Parameter name: The level's name.
    package init?(commandLineName name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        default: return nil
        }
    }
}

extension WorkflowV1.WorkflowStatus {
    /// The proto name without `WORKFLOW_STATUS_`, such as `RUNNING`.
    package var shortName: String { description.removingPrefix("WORKFLOW_STATUS_") }
}

extension WorkflowV1.JobStatus {
    /// The proto name without `JOB_STATUS_`, such as `PENDING`.
    package var shortName: String { description.removingPrefix("JOB_STATUS_") }
}

extension String {
    fileprivate func removingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
