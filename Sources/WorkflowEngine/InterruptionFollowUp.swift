/// What follows an interrupted attempt, for the `jobInterrupted` event's message.
enum InterruptionFollowUp {
    /// A shutdown: the next server runs the job again.
    case startsWhenTheServerRuns
    /// A restore: the job runs again now, if its policy has an attempt left.
    case startsNow
    /// A restore after the workflow's deadline passed: the workflow fails.
    case deadlinePassed
}
