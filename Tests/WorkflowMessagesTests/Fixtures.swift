import WorkflowMessages

/// One value of every message with every field set, mirrored field for field by
/// `PythonInterop.script` (keep the two in step).
///
/// Covers unicode, extreme integers, unknown and negative enum values, maps, nested repeated
/// messages, and sub-messages that are absent versus present-but-empty.
enum Fixtures {
    static let unicode = "Zoë ✓ — 日本語 🚀"

    static let stats = WorkflowV1.Stats(
        durationMs: 1234,
        counters: ["itemsProcessed": 10, "itemsCreated": 7, "itemsFailed": -3,
                   "max": .max, "min": .min, "ünï": 0])

    static let workerRef = WorkflowV1.WorkerRef(name: "python-importer ✓", instanceID: "host-1-4242")

    static let lease = WorkflowV1.LeaseToken(workflowID: "wf-1", jobID: "job-f", attempt: .max, epoch: .max)

    static let workerHello = WorkflowV1.WorkerHello(
        name: "python-importer", instanceID: "i-\(unicode)", queues: ["import", "", "export"], slots: .min,
        labels: ["region": "eu", "ünï": ""], heldLeases: [lease, WorkflowV1.LeaseToken()])

    static let workerHeartbeat = WorkflowV1.WorkerHeartbeat(leases: [lease, lease], draining: true)

    static let stepReport = WorkflowV1.StepReport(message: "Created P-101 \(unicode)", level: .init(rawValue: 42), entity: nil, timestampMs: .min)

    static let progressReport = WorkflowV1.ProgressReport(progress: -0.5, message: "half ✓", timestampMs: .max)

    static let jobUpdate = WorkflowV1.JobUpdate(update: .progress(progressReport))

    static let jobCompletion = WorkflowV1.JobCompletion(outputs: ["rows_read": "16", "ünï": unicode, "empty": ""])

    static let jobOutputs = WorkflowV1.JobOutputs(jobID: "job-0", jobName: "Fetch ✓", jobPosition: .max, outputs: ["rows_read": "16"])

    static let jobFailure = WorkflowV1.JobFailure(error: "boom \(unicode)", stack: "at line 1\n\tat line 2", errorCode: "VALIDATION", doNotRetry: true)

    static let jobRelease = WorkflowV1.JobRelease(reason: "worker stopping")

    static let jobReport = WorkflowV1.JobReport(
        lease: lease, sequence: .max,
        updates: [
            WorkflowV1.JobUpdate(update: .step(WorkflowV1.StepReport(message: "s", level: .warn, entity: entity, timestampMs: 1))),
            jobUpdate, WorkflowV1.JobUpdate(),
        ],
        counters: ["itemsCreated": .max, "itemsFailed": .min], end: .failed(jobFailure))

    static let workerMessage = WorkflowV1.WorkerMessage(
        message: .report(WorkflowV1.JobReport(lease: lease, sequence: 1, end: .released(jobRelease))))

    static let workerWelcome = WorkflowV1.WorkerWelcome(heartbeatIntervalMs: 1000, resumedLeases: [reportAck, WorkflowV1.ReportAck()])

    static let jobAssignment = WorkflowV1.JobAssignment(
        lease: lease, queue: "import", workflowType: "IMPORT_ASSETS", jobName: "Process Data ✓", jobPosition: .max,
        params: ["file_path": "/data/assets.csv", "ключ": "значение"], idempotencyKey: "job-f",
        heartbeatTimeoutMs: 30_000, deadlineAtMs: .min, userID: "u-\(unicode)",
        inputs: [jobOutputs, WorkflowV1.JobOutputs()])

    static let reportAck = WorkflowV1.ReportAck(lease: lease, sequence: .max)

    static let reportRefusal = WorkflowV1.ReportRefusal(lease: nil, sequence: 7, code: 9, message: "lease ended ✓")

    static let jobCancellation = WorkflowV1.JobCancellation(lease: lease, reason: "cancelled by request \(unicode)", leaseEnded: true)

    static let serverMessage = WorkflowV1.ServerMessage(message: .assignment(jobAssignment))

    static let listWorkersRequest = WorkflowV1.ListWorkersRequest(queue: "import-🚀")

    static let workerInfo = WorkflowV1.WorkerInfo(
        worker: workerRef, queues: ["import", "export"], slots: .max, slotsInUse: -1, labels: ["region": "eu"],
        connectedAtMs: .min, lastHeartbeatAtMs: .max, leases: [lease])

    static let listWorkersResponse = WorkflowV1.ListWorkersResponse(workers: [workerInfo, WorkflowV1.WorkerInfo()])

    static let entity = WorkflowV1.EntityRef(tag: "P-101", route: "/assets/123", id: "123", type: "asset")

    static let step = WorkflowV1.Step(
        id: "s-1", message: "Created P-101 \(unicode)", level: .warn, entity: entity,
        timestampMs: 1_700_000_000_123, sequence: .max, attempt: 2)

    static let failedAttempt = WorkflowV1.JobAttempt(
        attempt: 2, outcome: .timedOut, startedAtMs: 1_700_000_000_000, finishedAtMs: .max,
        error: "attempt 2 of Process Data timed out after 500 ms \(unicode)", errorCode: "TIMEOUT", stack: "at line 1\n\tat line 2",
        worker: workerRef)

    static let failedJob = WorkflowV1.Job(
        id: "job-f", name: "Process Data", position: 3, status: .failed,
        steps: [
            step,
            WorkflowV1.Step(id: "s-2", message: "unknown level", level: .init(rawValue: 42)),
            WorkflowV1.Step(),
        ],
        progress: 0.75, progressMessage: "3 of 4", stats: stats, error: "boom: disk full",
        stack: "at line 1\n\tat line 2", startedAtMs: -5, finishedAtMs: .max, stepCount: 3, attempt: .max,
        failedAttempts: [
            WorkflowV1.JobAttempt(attempt: 1, outcome: .failed, error: "boom", errorCode: "ERROR"),
            failedAttempt,
            WorkflowV1.JobAttempt(attempt: -1, outcome: .init(rawValue: 42)),
        ],
        nextAttemptAtMs: .max, worker: WorkflowV1.WorkerRef(), queue: "import-\(unicode)",
        outputs: ["rows_read": "16", "ünï": unicode])

    static let artifact = WorkflowV1.Artifact(
        id: "wf-1.assets.xlsx", name: "assets.xlsx", contentType: "application/pdf ✓", sizeBytes: .max,
        sha256: String(repeating: "ab", count: 32), workflowID: "wf-1", jobID: "job-f", createdAtMs: .min)

    /// Job `j` of ``workflow``: four steps whose entities cycle through present, absent and
    /// present-but-empty; job 1 has no stats.
    static func job(_ j: Int) -> WorkflowV1.Job {
        WorkflowV1.Job(
            id: "job-\(j)", name: "Job \(j) ✓", position: Int32(j), status: .completed,
            steps: (0..<4).map { s in
                WorkflowV1.Step(
                    id: "s-\(j)-\(s)", message: "Step \(s) of job \(j)", level: .info,
                    entity: s == 0
                        ? WorkflowV1.EntityRef(tag: "T-\(j)\(s)", route: "/r/\(j)/\(s)", id: "\(s)", type: "asset")
                        : s == 3 ? WorkflowV1.EntityRef() : nil,
                    timestampMs: Int64(1000 * j + s), sequence: UInt64(100 * j + s), attempt: Int32(j % 2 + 1))
            },
            progress: 1, progressMessage: "done",
            stats: j == 1 ? nil : WorkflowV1.Stats(durationMs: Int64(j * 10), counters: ["n": Int64(j)]),
            startedAtMs: Int64(j), finishedAtMs: Int64(j + 1), stepCount: 4, attempt: Int32(j % 2 + 1))
    }

    static let workflow = WorkflowV1.Workflow(
        id: "wf-1", type: "IMPORT_ASSETS", summary: "Import Gold Mine ⛏️", status: .failed,
        createdAtMs: .min, startedAtMs: 1, finishedAtMs: 2, userID: "u-1", userName: unicode,
        params: ["file_path": "/data/assets.csv", "mode": "full", "ünïcødé": "值 🚀", "empty": ""],
        jobs: [job(0), job(1), job(2), failedJob],
        stats: stats, error: "boom: disk full", failedJobID: "job-f", failedJobName: "Process Data",
        requestID: "req-42", attempt: 3, deadlineAtMs: 1_700_000_360_000, asOfSequence: .max,
        result: ["assets": "16", "xlsx_artifact_id": "wf-1.assets.xlsx"], artifacts: [artifact, WorkflowV1.Artifact()],
        startedBy: "root ✓", retriedBy: "ops", cancelledBy: unicode)

    /// A `ListWorkflows` summary: jobs without their steps, counted in `stepCount`.
    static let workflowSummary = WorkflowV1.Workflow(
        id: "wf-2", type: "EXPORT", status: .running, createdAtMs: 1_700_000_000_000, userID: "u-2",
        jobs: [
            WorkflowV1.Job(id: "job-a", name: "Export", status: .running, stepCount: 12, attempt: 1),
            WorkflowV1.Job(id: "job-b", name: "Notify", position: 1, stepCount: 0, attempt: -1),
        ],
        attempt: .min)

    static let startWorkflowRequest = WorkflowV1.StartWorkflowRequest(
        type: "IMPORT_ASSETS", params: ["file_path": "/data/assets.csv", "ключ": "значение"],
        userID: "u-1", userName: unicode, summary: "Import Gold Mine", requestID: "req-42")

    static let startWorkflowResponse = WorkflowV1.StartWorkflowResponse(workflowID: "wf-1", status: .running)

    static let getWorkflowRequest = WorkflowV1.GetWorkflowRequest(workflowID: "wf-🚀", omitSteps: true)

    static let watchLogsRequest = WorkflowV1.WatchLogsRequest(
        workflowID: "wf-1", minLevel: .warn, afterSequence: .max, liveOnly: true,
        workflowType: "IMPORT_ASSETS", userID: "u-✓", jobID: "job-f", entityTag: "P-101",
        kinds: [.failureNotice, .init(rawValue: 99), .workflowStarted, .failureNotice])

    static let logEvent = WorkflowV1.LogEvent(
        sequence: .max - 1, timestampMs: -1, kind: .init(rawValue: 99), level: .error,
        message: "IMPORT_ASSETS failed at Process Data: boom", workflowID: "wf-1",
        workflowType: "IMPORT_ASSETS", userID: "u-1", jobID: "job-f", jobName: "Process Data",
        jobPosition: .min, step: step, progress: 0.5, progressMessage: "half way",
        workflowStatus: .cancelled, jobStatus: .init(rawValue: -7), stats: stats,
        error: "boom", stack: "trace ✓", gapFromSequence: 17, gapToSequence: .max, attempt: -2, retryAtMs: .min, worker: workerRef,
        outputs: ["rows_read": "16", "": unicode], actor: "alice ✓")

    static let retryWorkflowRequest = WorkflowV1.RetryWorkflowRequest(workflowID: "wf-🚀")

    static let retryWorkflowResponse = WorkflowV1.RetryWorkflowResponse(
        workflowID: "wf-1", status: .running, attempt: .max, jobID: "job-f", jobName: "Process Data ✓")

    static let cancelWorkflowRequest = WorkflowV1.CancelWorkflowRequest(
        workflowID: "wf-1", reason: "pressed Cancel: \(unicode)")

    static let cancelWorkflowResponse = WorkflowV1.CancelWorkflowResponse(
        workflowID: "wf-1", status: .init(rawValue: 77))

    /// Known, unknown, negative and repeated statuses, in an order that is not sorted.
    static let listWorkflowsRequest = WorkflowV1.ListWorkflowsRequest(
        statuses: [
            .failed, .running, .init(rawValue: 99), .init(rawValue: -3), .unspecified, .failed, .init(rawValue: .max),
        ],
        type: "IMPORT_ASSETS", userID: "u-1", createdAfterMs: .min, createdBeforeMs: .max, pageSize: 1000,
        pageToken: "cursor-🚀", summaryContains: "Gold ⛏️")

    static let listStepsRequest = WorkflowV1.ListStepsRequest(
        workflowID: "wf-1", jobID: "job-f", minLevel: .warn, entityTag: "P-101", beforeSequence: .max,
        afterSequence: 1, pageSize: -1, oldestFirst: true)

    /// A step event, an empty event, and the richest one.
    static let listStepsResponse = WorkflowV1.ListStepsResponse(
        steps: [WorkflowV1.LogEvent(sequence: 7, kind: .stepLogged, step: step), WorkflowV1.LogEvent(), logEvent], hasMore: true)

    static let countWorkflowsRequest = WorkflowV1.CountWorkflowsRequest(
        type: "IMPORT_ASSETS", userID: "u-✓", summaryContains: unicode, createdAfterMs: .min, createdBeforeMs: .max)

    static let workflowCount = WorkflowV1.WorkflowCount(type: "IMPORT_ASSETS", status: .init(rawValue: 42), count: .max)

    static let countWorkflowsResponse = WorkflowV1.CountWorkflowsResponse(
        counts: [workflowCount, WorkflowV1.WorkflowCount(), WorkflowV1.WorkflowCount(type: "TEST", status: .failed, count: -1)])

    /// A summary, an empty workflow, and the full workflow.
    static let listWorkflowsResponse = WorkflowV1.ListWorkflowsResponse(
        workflows: [workflowSummary, WorkflowV1.Workflow(), workflow], nextPageToken: "page-2 ✓")

    static let uploadHeader = WorkflowV1.UploadHeader(
        name: "assets \(unicode).csv", contentType: "text/csv", sha256: String(repeating: "0f", count: 32), sizeBytes: .max)

    static let uploadFileRequest = WorkflowV1.UploadFileRequest(part: .header(uploadHeader))

    static let uploadedFile = WorkflowV1.UploadedFile(
        fileID: "f-5N0G7M3Q2WAKX9T1D4H8C6BVRE", name: "assets.csv", contentType: "text/csv", sizeBytes: .max,
        sha256: String(repeating: "0f", count: 32), createdAtMs: .min, expiresAtMs: .max)

    static let downloadFileRequest = WorkflowV1.DownloadFileRequest(fileID: "f-5N0G7M3Q2WAKX9T1D4H8C6BVRE", offset: .max)

    static let fileChunk = WorkflowV1.FileChunk(file: uploadedFile, data: [0, 255, 7])

    static let downloadArtifactRequest = WorkflowV1.DownloadArtifactRequest(artifactID: "wf-1.assets.xlsx", offset: .min)

    /// The first chunk: the description and bytes of every value.
    static let artifactChunk = WorkflowV1.ArtifactChunk(artifact: artifact, data: (0...255).map { UInt8($0) })

    static let asset = WorkflowV1.Asset(
        id: "17", tag: "P-101", type: "Pump", name: unicode, attributes: ["power_kw": "15", "ünï": ""],
        links: ["M-101", "", "M-101"], flags: ["pump-needs-motor": "no Motor ✓"], route: "/assets/17",
        createdAtMs: .min, updatedAtMs: .max, updatedByWorkflowID: "wf-1")

    static let listAssetsRequest = WorkflowV1.ListAssetsRequest(
        type: "Pump", tagPrefix: "P-", flaggedOnly: true, linkedTo: "M-101", pageSize: -1, pageToken: "UC0xMDE=")

    static let listAssetsResponse = WorkflowV1.ListAssetsResponse(
        assets: [asset, WorkflowV1.Asset()], nextPageToken: "UC0xMDE=", totalCount: .max)

    static let getAssetRequest = WorkflowV1.GetAssetRequest(assetID: "17", tag: "P-101 ✓")

    static let whoAmIRequest = WorkflowV1.WhoAmIRequest()

    static let whoAmIResponse = WorkflowV1.WhoAmIResponse(subject: "alice ✓", roles: ["user", "worker:imports", ""], authenticated: true)

    /// One fixture of each message, for tests that cover them all the same way (a test checks
    /// that none of `WorkflowV1.messageTypes` is missing).
    static let all: [any ProtoMessage] = [
        startWorkflowRequest, startWorkflowResponse, getWorkflowRequest, stats, entity, step,
        failedAttempt, failedJob, workflow, watchLogsRequest, logEvent, retryWorkflowRequest, retryWorkflowResponse,
        cancelWorkflowRequest, cancelWorkflowResponse, listWorkflowsRequest, listWorkflowsResponse,
        workerRef, lease, workerMessage, workerHello, workerHeartbeat, jobReport, jobUpdate, stepReport,
        progressReport, jobCompletion, jobFailure, jobRelease, serverMessage, workerWelcome, jobAssignment,
        reportAck, reportRefusal, jobCancellation, listWorkersRequest, listWorkersResponse, workerInfo,
        listStepsRequest, listStepsResponse, countWorkflowsRequest, countWorkflowsResponse, workflowCount,
        jobOutputs, artifact, uploadHeader, uploadFileRequest, uploadedFile, downloadArtifactRequest, artifactChunk,
        asset, listAssetsRequest, listAssetsResponse, getAssetRequest, downloadFileRequest, fileChunk,
        whoAmIRequest, whoAmIResponse,
    ]

    /// Every message type, for tests that feed the same bytes to each decoder.
    static let types: [any ProtoMessage.Type] = all.map { type(of: $0) }
}
