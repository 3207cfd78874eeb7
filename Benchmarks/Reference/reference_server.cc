// reference_server: workflow.v1.WorkflowService written the way a competent gRPC C++ user would,
// for side-by-side benchmarks with workflowd (issue 7).
//
// In memory, callback API (CallbackService, ServerUnaryReactor, ServerWriteReactor). It serves
// StartWorkflow, GetWorkflow and WatchLogs for the built-in TEST template with the event stream
// and Workflow tree workflowd produces (Sources/WorkflowEngine/TestTemplate.swift,
// WorkflowEngine+Running.swift); RetryWorkflow, CancelWorkflow and ListWorkflows answer
// UNIMPLEMENTED.
//
//   reference_server --port N [--tls-cert PEM --tls-key PEM]
//                                  # 0 picks a free port; listens on 127.0.0.1 only; with the
//                                  # certificate and key, over TLS (gRPC's SslServerCredentials)
//
// Prints `server.port=<port>` once listening. On SIGTERM/SIGINT it stops like workflowd (new
// starts are refused, running workflows fail as interrupted, caught-up watchers end with
// UNAVAILABLE), shuts the server down and prints `server.calls_by_status=OK=<n> ...`.
//
// Threads: gRPC's own callback threads run the handlers and the stream reactions; one runner
// thread advances every running workflow (a timer heap, no thread per workflow). One mutex,
// Engine::mu_, guards the workflows, the event log and the set of caught-up watchers; no gRPC
// operation is ever started while it is held.

#include <grpcpp/grpcpp.h>
#include <google/protobuf/util/message_differencer.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "workflow/v1/workflow.grpc.pb.h"

namespace {

namespace wf = workflow::v1;
using EventPtr = std::shared_ptr<const wf::LogEvent>;
using SteadyClock = std::chrono::steady_clock;

// MARK: - Limits, as in workflowd

constexpr size_t kEventRetention = 1'000'000;     // workflowd --event-retention default
constexpr size_t kWorkflowRetention = 100'000;    // workflowd --workflow-retention default
constexpr int kMaxConcurrentStreams = 1024;       // workflowd --max-concurrent-streams default
constexpr int kStepsPerTurn = 256;                // steps one workflow runs before the next gets a turn
constexpr size_t kReadBatch = 128;                // events a watcher takes from the log per lock
constexpr uint64_t kScanBudget = 8192;            // events one read examines at most
constexpr double kShutdownGraceSeconds = 10;      // workflowd --shutdown-grace-period default

// MARK: - Time and ids

/// Milliseconds since the Unix epoch, for timestamps.
int64_t NowMs() {
  timespec now{};
  // clock_gettime(CLOCK_REALTIME) fails only with EINVAL/EFAULT, impossible here.
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

/// Whole milliseconds elapsed since `start`, for measured durations.
int64_t MillisecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

/// Workflow ids as workflowd makes them: "wf-" and 12 Crockford base-32 digits of 42 bits of
/// epoch milliseconds and 18 random bits, strictly increasing.
class WorkflowIdGenerator {
 public:
  std::string Next(int64_t now_ms) {
    static constexpr char kDigits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    uint64_t time = uint64_t(std::max<int64_t>(0, now_ms)) & ((uint64_t(1) << 42) - 1);
    uint64_t candidate = (time << 18) | (random_() & ((1u << 18) - 1));
    uint64_t value = std::max(candidate, last_ + 1);
    last_ = value;
    std::string id = "wf-";
    for (int index = 0; index < 12; ++index) {
      id.push_back(kDigits[(value >> (5 * (11 - index))) & 31]);
    }
    return id;
  }

 private:
  std::mt19937_64 random_{std::random_device{}()};
  uint64_t last_ = 0;
};

// MARK: - Status counts

/// Counts finished calls by the grpc-status they were given, for the shutdown line.
class StatusCounts {
 public:
  void Record(grpc::StatusCode code) {
    int index = int(code);
    if (index >= 0 && index < int(counts_.size())) counts_[index].fetch_add(1, std::memory_order_relaxed);
  }

  /// "OK=3 INVALID_ARGUMENT=1", codes in numeric order, zero counts left out.
  std::string Line() const {
    static const char* const kNames[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
        "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
    std::string line;
    for (size_t index = 0; index < counts_.size(); ++index) {
      uint64_t count = counts_[index].load(std::memory_order_relaxed);
      if (count == 0) continue;
      if (!line.empty()) line += ' ';
      line += std::string(kNames[index]) + "=" + std::to_string(count);
    }
    return line;
  }

 private:
  std::array<std::atomic<uint64_t>, 17> counts_{};
};

grpc::Status InvalidArgument(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

// MARK: - Request checks (Sources/WorkflowService/RequestValidation.swift)

constexpr size_t kMaxTypeLength = 128;
constexpr size_t kMaxIdentifierLength = 256;
constexpr size_t kMaxSummaryLength = 4096;
constexpr size_t kMaxParams = 256;
constexpr size_t kMaxParamKeyLength = 256;
constexpr size_t kMaxParamValueLength = 64 << 10;

/// Appends the INVALID_ARGUMENT for a too long `value` to `status`, unless one is there already.
void CheckLength(grpc::Status& status, const std::string& value, const std::string& field, size_t max) {
  if (!status.ok() || value.size() <= max) return;
  status = InvalidArgument(field + ": is " + std::to_string(value.size()) + " bytes long; at most " +
                           std::to_string(max) + " are allowed");
}

grpc::Status CheckStart(const wf::StartWorkflowRequest& request) {
  if (request.type().empty()) return InvalidArgument("type: is required");
  grpc::Status status;
  CheckLength(status, request.type(), "type", kMaxTypeLength);
  CheckLength(status, request.user_id(), "user_id", kMaxIdentifierLength);
  CheckLength(status, request.user_name(), "user_name", kMaxIdentifierLength);
  CheckLength(status, request.summary(), "summary", kMaxSummaryLength);
  CheckLength(status, request.request_id(), "request_id", kMaxIdentifierLength);
  if (!status.ok()) return status;
  if (size_t(request.params_size()) > kMaxParams) {
    return InvalidArgument("params: has " + std::to_string(request.params_size()) + " entries; at most " +
                           std::to_string(kMaxParams) + " are allowed");
  }
  for (const auto& [key, value] : request.params()) {
    if (key.empty()) return InvalidArgument("params: keys must not be empty");
    CheckLength(status, key, "params key", kMaxParamKeyLength);
    CheckLength(status, value, "params[" + key + "]", kMaxParamValueLength);
    if (!status.ok()) return status;
  }
  return status;
}

grpc::Status CheckWorkflowId(const std::string& id, bool required) {
  if (required && id.empty()) return InvalidArgument("workflow_id: is required");
  grpc::Status status;
  CheckLength(status, id, "workflow_id", kMaxIdentifierLength);
  return status;
}

grpc::Status CheckWatch(const wf::WatchLogsRequest& request) {
  grpc::Status status = CheckWorkflowId(request.workflow_id(), false);
  CheckLength(status, request.workflow_type(), "workflow_type", kMaxTypeLength);
  CheckLength(status, request.user_id(), "user_id", kMaxIdentifierLength);
  CheckLength(status, request.job_id(), "job_id", kMaxIdentifierLength);
  CheckLength(status, request.entity_tag(), "entity_tag", kMaxIdentifierLength);
  if (status.ok() && !wf::LogLevel_IsValid(request.min_level())) {
    status = InvalidArgument("min_level: unknown log level " + std::to_string(int(request.min_level())));
  }
  return status;
}

// MARK: - The TEST template (Sources/WorkflowEngine/TestTemplate+Configuration.swift)

/// The validated parameters of a TEST workflow.
struct TestConfiguration {
  int jobs = 3;
  int steps = 3;
  int step_delay_ms = 10;
  int fail_job = 0;  // 1-based position of the failing job; 0 for none
  std::string fail_message = "Simulated failure";

  /// Parses `text` the way Swift's Int(String) does: an optional sign, then ASCII digits only.
  static std::optional<int64_t> ParseInteger(const std::string& text) {
    size_t index = 0;
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
      negative = text[0] == '-';
      index = 1;
    }
    if (index == text.size()) return std::nullopt;
    uint64_t magnitude = 0;
    for (; index < text.size(); ++index) {
      char c = text[index];
      if (c < '0' || c > '9') return std::nullopt;
      magnitude = magnitude * 10 + uint64_t(c - '0');
      if (magnitude > uint64_t(INT64_MAX) + 1) return std::nullopt;
    }
    if (!negative && magnitude > uint64_t(INT64_MAX)) return std::nullopt;
    return negative ? int64_t(0 - magnitude) : int64_t(magnitude);
  }

  /// Reads `params[name]` into `value` if present; INVALID_ARGUMENT naming `params.<name>` if bad.
  static grpc::Status Integer(const google::protobuf::Map<std::string, std::string>& params, const char* name,
                              int low, int high, int& value) {
    auto found = params.find(name);
    if (found == params.end()) return grpc::Status::OK;
    auto parsed = ParseInteger(found->second);
    if (!parsed || *parsed < low || *parsed > high) {
      return InvalidArgument(std::string("params.") + name + ": must be an integer from " + std::to_string(low) +
                             " to " + std::to_string(high) + ", got \"" + found->second + "\"");
    }
    value = int(*parsed);
    return grpc::Status::OK;
  }

  static grpc::Status Parse(const google::protobuf::Map<std::string, std::string>& params, TestConfiguration& out) {
    TestConfiguration configuration;
    grpc::Status status = Integer(params, "jobs", 1, 100, configuration.jobs);
    if (status.ok()) status = Integer(params, "steps", 0, 100'000, configuration.steps);
    if (status.ok()) status = Integer(params, "step_delay_ms", 0, 60'000, configuration.step_delay_ms);
    if (status.ok()) status = Integer(params, "fail_job", 1, configuration.jobs, configuration.fail_job);
    if (!status.ok()) return status;
    auto message = params.find("fail_message");
    if (message != params.end() && !message->second.empty()) configuration.fail_message = message->second;
    out = std::move(configuration);
    return grpc::Status::OK;
  }

  /// "Fetch", "Process", "Validate", "Save", then "Job 5", "Job 6", ...
  static std::string JobName(int position) {
    static const char* const kNames[] = {"Fetch", "Process", "Validate", "Save"};
    return position < 4 ? kNames[position] : "Job " + std::to_string(position + 1);
  }
};

const char* const kTestType = "TEST";
// workflowd's JobError names the Swift source line that threw it; reproduced so streams compare equal.
const char* const kTestFailureStack = "JobError thrown in run(_:position:context:) at WorkflowEngine/TestTemplate.swift:73";
const char* const kShutdownError = "interrupted: the server is shutting down";
const char* const kShutdownStack = "WorkflowEngine.shutdown()";

// MARK: - Workflow records

/// Everything kept about one workflow. Owned by Engine::records_, guarded by Engine::mu_.
struct WorkflowRecord {
  /// Where the runner is in the workflow. Legal next phases:
  /// kStartJob → kStep (job started) | kEnded (no more jobs: completed);
  /// kStep → kStep (another step) | kStartJob (job completed) | kEnded (job failed);
  /// any → kEnded (interrupted by shutdown). kEnded is final.
  enum class Phase { kStartJob, kStep, kEnded };

  wf::Workflow workflow;               // the tree GetWorkflow answers with, updated in place
  wf::StartWorkflowRequest request;    // to recognise a repeated request_id
  TestConfiguration configuration;
  SteadyClock::time_point start_instant;
  uint64_t first_sequence = 0;

  Phase phase = Phase::kStartJob;
  int position = 0;                    // the job being run (or started next)
  int item = 0;                        // steps of that job done so far
  int64_t items_processed = 0;         // the running job's counters
  int64_t items_failed = 0;
  SteadyClock::time_point job_start;

  bool failing() const { return configuration.fail_job == position + 1; }
  /// Steps the running job processes before it completes (or fails).
  int processed() const { return failing() ? configuration.steps / 2 : configuration.steps; }
};

// MARK: - Watch filter (Sources/WorkflowEngine/EventFilter.swift)

bool IsTerminal(const wf::LogEvent& event) {
  switch (event.kind()) {
    case wf::LOG_EVENT_KIND_WORKFLOW_COMPLETED:
    case wf::LOG_EVENT_KIND_WORKFLOW_FAILED:
    case wf::LOG_EVENT_KIND_WORKFLOW_CANCELLED:
      return true;
    default:
      return false;
  }
}

/// Which events a watcher wants. Workflow criteria apply to every event; level, job and entity
/// criteria not to terminal workflow events.
struct WatchFilter {
  std::string workflow_id, workflow_type, user_id, job_id, entity_tag;
  int min_level = wf::LOG_LEVEL_DEBUG;

  bool Matches(const wf::LogEvent& event) const {
    if (!workflow_id.empty() && event.workflow_id() != workflow_id) return false;
    if (!workflow_type.empty() && event.workflow_type() != workflow_type) return false;
    if (!user_id.empty() && event.user_id() != user_id) return false;
    if (IsTerminal(event)) return true;
    if (int(event.level()) < min_level) return false;
    if (!job_id.empty() && event.job_id() != job_id) return false;
    if (!entity_tag.empty() && !(event.has_step() && event.step().has_entity() && event.step().entity().tag() == entity_tag)) {
      return false;
    }
    return true;
  }
};

class WatchReactor;

// MARK: - Engine

/// Runs TEST workflows and keeps the event log. Thread-safe: the members marked "guarded by
/// mu_" are touched only with mu_ held.
class Engine {
 public:
  Engine() : ring_capacity_(kEventRetention) {
    runner_ = std::thread([this] { RunLoop(); });
  }

  ~Engine() { StopRunner(); }

  StatusCounts& counts() { return counts_; }

  grpc::Status Start(const wf::StartWorkflowRequest& request, wf::StartWorkflowResponse* response);
  grpc::Status Get(const std::string& id, wf::Workflow* response);

  /// The outcome of a watcher's read of the log.
  enum class Fill { kEvents, kScanning, kWaiting, kEndOk, kCancelled, kShuttingDown };

  /// Opens a watch: checks the workflow and computes the cursor under the lock.
  grpc::Status OpenWatch(const wf::WatchLogsRequest& request, uint64_t& cursor, bool& ended_at_start);
  /// Moves the next matching events after the watcher's cursor into its queue, or registers it
  /// for the next append when it has caught up.
  Fill FillWatcher(WatchReactor& watcher);
  /// The client cancelled `watcher`: marks it, and takes it off the waiters if it waits there.
  /// Returns true when it did (the caller then owns the stream and must finish it).
  bool CancelWatcher(WatchReactor& watcher);

  /// Refuses new starts, fails the running workflows as interrupted and ends caught-up watchers.
  void BeginShutdown();
  void StopRunner();

 private:
  // Event log: a ring of the newest kEventRetention events, sequences from 1.
  uint64_t OldestRetained() const { return last_sequence_ - ring_.size() + 1; }
  const EventPtr& EventAt(uint64_t sequence) const {
    size_t index = head_ + size_t(sequence - OldestRetained());
    if (index >= ring_.size()) index -= ring_.size();
    return ring_[index];
  }
  /// Stamps `event` with the next sequence and appends it; caught-up watchers go to `to_wake`.
  uint64_t Append(std::shared_ptr<wf::LogEvent> event);
  /// Wakes the watchers collected by appends, outside the lock.
  static void Wake(std::vector<WatchReactor*>& watchers);

  std::shared_ptr<wf::LogEvent> NewEvent(const WorkflowRecord& record, wf::LogEventKind kind, wf::LogLevel level,
                                         std::string message, int64_t timestamp_ms, int job_position = -1);

  // Runner: advances workflows; see WorkflowRecord::Phase.
  void RunLoop();
  void Advance(WorkflowRecord& record);
  void StartJob(WorkflowRecord& record);
  void LogStep(WorkflowRecord& record, const std::string& message, wf::LogLevel level, int item);
  void LogProgress(WorkflowRecord& record, int item);
  void CompleteJob(WorkflowRecord& record);
  void CompleteWorkflow(WorkflowRecord& record);
  void Fail(WorkflowRecord& record, const std::string& error, const std::string& stack, bool job_ran);
  wf::Stats TotalStats(const WorkflowRecord& record) const;
  void Finish(WorkflowRecord& record);
  void ScheduleAfter(WorkflowRecord& record, int delay_ms);

  std::mutex mu_;
  std::condition_variable runner_wake_;
  std::thread runner_;
  StatusCounts counts_;

  // Guarded by mu_ (ring_capacity_ is constant).
  size_t ring_capacity_;
  std::vector<EventPtr> ring_;
  size_t head_ = 0;
  uint64_t last_sequence_ = 0;
  std::unordered_set<WatchReactor*> waiters_;
  std::vector<WatchReactor*> to_wake_;

  std::unordered_map<std::string, std::unique_ptr<WorkflowRecord>> records_;
  std::unordered_map<std::string, std::string> ids_by_request_id_;
  std::deque<std::string> finished_ids_;
  WorkflowIdGenerator ids_;

  struct Timer {
    SteadyClock::time_point due;
    uint64_t order;
    WorkflowRecord* record;
    bool operator>(const Timer& other) const { return due != other.due ? due > other.due : order > other.order; }
  };
  std::deque<WorkflowRecord*> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t timer_order_ = 0;
  bool stop_runner_ = false;
  bool shutting_down_ = false;
};

// MARK: - WatchLogs reactor

/// One WatchLogs stream: replays the log from its cursor, then follows live.
///
/// Exactly one party drives the stream at any time, and only that party may start a write or
/// Finish: the pump (FillWatcher → StartWrite), the write in flight (→ OnWriteDone), the engine's
/// waiter set (→ Wake on the next append), or whoever took it out of that set (an appender, or
/// OnCancel/BeginShutdown, which then Finish it). So there is at most one write in flight, no
/// write after Finish, and nothing touches the reactor after Finish: gRPC calls OnDone, which
/// deletes it, only once Finish was called.
class WatchReactor : public grpc::ServerWriteReactor<wf::LogEvent> {
 public:
  WatchReactor(Engine* engine, WatchFilter filter, uint64_t cursor, bool ended_at_start)
      : engine_(engine), filter_(std::move(filter)), cursor_(cursor), ended_at_start_(ended_at_start) {}

  /// Starts the stream; called once, right after construction.
  void Start() { Pump(); }
  /// The log grew after this watcher had caught up (the engine took it off the waiters).
  void Wake() { Pump(); }
  /// Ends a stream the caller took off the waiters.
  void FinishTaken(const grpc::Status& status) { FinishStream(status); }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      // The stream broke (client gone or cancelled): no trailers will reach anyone, not counted.
      broken_ = true;
      return FinishStream(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
    }
    Pump();
  }

  void OnCancel() override {
    if (engine_->CancelWatcher(*this)) FinishStream(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
  }

  void OnDone() override { delete this; }

 private:
  friend class Engine;

  void Pump() {
    if (next_ == queue_.size()) {
      queue_.clear();
      next_ = 0;
    }
    while (queue_.empty()) {
      switch (engine_->FillWatcher(*this)) {
        case Engine::Fill::kEvents:
          break;
        case Engine::Fill::kScanning:
          continue;
        case Engine::Fill::kWaiting:
          return;  // the waiter set drives the stream now
        case Engine::Fill::kEndOk:
          return FinishStream(grpc::Status::OK);
        case Engine::Fill::kCancelled:
          return FinishStream(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
        case Engine::Fill::kShuttingDown:
          return FinishStream(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
      }
    }
    if (cancelled_.load(std::memory_order_acquire)) {
      return FinishStream(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
    }
    in_flight_ = std::move(queue_[next_++]);
    if (!filter_.workflow_id.empty() && IsTerminal(*in_flight_)) {
      // A single-workflow watch ends with OK after the workflow's terminal event.
      Count(grpc::StatusCode::OK);
      StartWriteAndFinish(in_flight_.get(), grpc::WriteOptions(), grpc::Status::OK);
      return;
    }
    StartWrite(in_flight_.get());
  }

  void Count(grpc::StatusCode code) {
    // A stream the client cancelled or dropped gets no trailers: not counted, as in workflowd.
    if (!broken_ && !cancelled_.load(std::memory_order_acquire)) engine_->counts().Record(code);
  }

  void FinishStream(const grpc::Status& status) {
    Count(status.error_code());
    Finish(status);
  }

  Engine* const engine_;
  const WatchFilter filter_;
  // Used only by the party driving the stream (see the class comment).
  uint64_t cursor_;                 // the last sequence read or scanned
  const bool ended_at_start_;       // the watched workflow had ended (or is filtered out) at the call
  std::vector<EventPtr> queue_;     // read from the log; those from next_ on are not yet written
  size_t next_ = 0;
  EventPtr in_flight_;              // the message of the write in flight; kept alive until it is done
  bool broken_ = false;             // a write failed
  // Set under Engine::mu_ by CancelWatcher; read anywhere.
  std::atomic<bool> cancelled_{false};
};

/// A WatchLogs call refused before streaming: finishes at once with `status`.
class RefusedWatch : public grpc::ServerWriteReactor<wf::LogEvent> {
 public:
  RefusedWatch(StatusCounts& counts, const grpc::Status& status) {
    counts.Record(status.error_code());
    Finish(status);
  }
  void OnDone() override { delete this; }
};

// MARK: - Engine: log

uint64_t Engine::Append(std::shared_ptr<wf::LogEvent> event) {
  uint64_t sequence = ++last_sequence_;
  event->set_sequence(sequence);
  if (event->has_step()) event->mutable_step()->set_sequence(sequence);
  if (ring_.size() < ring_capacity_) {
    ring_.push_back(std::move(event));
  } else {
    ring_[head_] = std::move(event);
    if (++head_ == ring_capacity_) head_ = 0;
  }
  if (!waiters_.empty()) {
    to_wake_.insert(to_wake_.end(), waiters_.begin(), waiters_.end());
    waiters_.clear();
  }
  return sequence;
}

void Engine::Wake(std::vector<WatchReactor*>& watchers) {
  for (WatchReactor* watcher : watchers) watcher->Wake();
  watchers.clear();
}

std::shared_ptr<wf::LogEvent> Engine::NewEvent(const WorkflowRecord& record, wf::LogEventKind kind, wf::LogLevel level,
                                               std::string message, int64_t timestamp_ms, int job_position) {
  auto event = std::make_shared<wf::LogEvent>();
  event->set_timestamp_ms(timestamp_ms);
  event->set_kind(kind);
  event->set_level(level);
  event->set_message(std::move(message));
  event->set_workflow_id(record.workflow.id());
  event->set_workflow_type(record.workflow.type());
  event->set_user_id(record.workflow.user_id());
  if (job_position >= 0) {
    const wf::Job& job = record.workflow.jobs(job_position);
    event->set_job_id(job.id());
    event->set_job_name(job.name());
    event->set_job_position(job_position);
    event->set_attempt(job.attempt());
  } else {
    event->set_attempt(record.workflow.attempt());
  }
  return event;
}

// MARK: - Engine: RPCs

grpc::Status Engine::Start(const wf::StartWorkflowRequest& request, wf::StartWorkflowResponse* response) {
  std::vector<WatchReactor*> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down and starts no more workflows");
    }
    if (!request.request_id().empty()) {
      auto known = ids_by_request_id_.find(request.request_id());
      if (known != ids_by_request_id_.end()) {
        auto existing = records_.find(known->second);
        if (existing != records_.end()) {
          if (!google::protobuf::util::MessageDifferencer::Equals(existing->second->request, request)) {
            return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                                "request_id \"" + request.request_id() + "\" already started workflow " + known->second +
                                    " with a different request");
          }
          response->set_workflow_id(known->second);
          response->set_status(existing->second->workflow.status());
          return grpc::Status::OK;
        }
      }
    }
    if (request.type() != kTestType) {
      // workflowd lists every type it knows; this server knows only TEST.
      return InvalidArgument("unknown workflow type \"" + request.type() + "\"; known types: TEST");
    }
    TestConfiguration configuration;
    grpc::Status status = TestConfiguration::Parse(request.params(), configuration);
    if (!status.ok()) return status;

    int64_t now = NowMs();
    auto record = std::make_unique<WorkflowRecord>();
    record->request = request;
    record->configuration = configuration;
    record->start_instant = SteadyClock::now();
    wf::Workflow& workflow = record->workflow;
    workflow.set_id(ids_.Next(now));
    workflow.set_type(request.type());
    workflow.set_summary(request.summary());
    workflow.set_status(wf::WORKFLOW_STATUS_RUNNING);
    workflow.set_created_at_ms(now);
    workflow.set_started_at_ms(now);
    workflow.set_user_id(request.user_id());
    workflow.set_user_name(request.user_name());
    *workflow.mutable_params() = request.params();
    workflow.mutable_stats();
    workflow.set_request_id(request.request_id());
    workflow.set_attempt(1);
    for (int position = 0; position < configuration.jobs; ++position) {
      wf::Job* job = workflow.add_jobs();
      job->set_id(workflow.id() + "-j" + std::to_string(position + 1));
      job->set_name(TestConfiguration::JobName(position));
      job->set_position(position);
      job->set_status(wf::JOB_STATUS_PENDING);
      job->mutable_stats();
      job->set_attempt(1);
    }
    const std::string id = workflow.id();
    auto started = NewEvent(*record, wf::LOG_EVENT_KIND_WORKFLOW_STARTED, wf::LOG_LEVEL_INFO,
                            "Workflow TEST started with " + std::to_string(configuration.jobs) + " jobs", now);
    started->set_workflow_status(wf::WORKFLOW_STATUS_RUNNING);
    record->first_sequence = Append(std::move(started));
    if (!request.request_id().empty()) ids_by_request_id_[request.request_id()] = id;
    ready_.push_back(record.get());
    records_.emplace(id, std::move(record));
    response->set_workflow_id(id);
    response->set_status(wf::WORKFLOW_STATUS_RUNNING);
    wake.swap(to_wake_);
  }
  runner_wake_.notify_one();
  Wake(wake);
  return grpc::Status::OK;
}

grpc::Status Engine::Get(const std::string& id, wf::Workflow* response) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = records_.find(id);
  if (found == records_.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no workflow with id \"" + id + "\"");
  }
  *response = found->second->workflow;
  return grpc::Status::OK;
}

grpc::Status Engine::OpenWatch(const wf::WatchLogsRequest& request, uint64_t& cursor, bool& ended_at_start) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t newest = last_sequence_;
  if (request.after_sequence() > newest) {
    return grpc::Status(grpc::StatusCode::OUT_OF_RANGE, "after_sequence " + std::to_string(request.after_sequence()) +
                                                            " is ahead of the newest event " + std::to_string(newest));
  }
  cursor = request.live_only() ? newest : (request.after_sequence() == 0 ? OldestRetained() - 1 : request.after_sequence());
  ended_at_start = false;
  if (request.workflow_id().empty()) return grpc::Status::OK;
  auto found = records_.find(request.workflow_id());
  if (found == records_.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no workflow with id \"" + request.workflow_id() + "\"");
  }
  const WorkflowRecord& record = *found->second;
  bool running = record.workflow.status() == wf::WORKFLOW_STATUS_RUNNING;
  bool excluded = (!request.workflow_type().empty() && request.workflow_type() != record.workflow.type()) ||
                  (!request.user_id().empty() && request.user_id() != record.workflow.user_id());
  ended_at_start = excluded || !running;
  // Nothing of this workflow comes before its first event: skip the older log.
  cursor = std::max(cursor, record.first_sequence - 1);
  if (excluded && running) cursor = newest;  // none of its events can match
  return grpc::Status::OK;
}

Engine::Fill Engine::FillWatcher(WatchReactor& watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  if (watcher.cancelled_.load(std::memory_order_relaxed)) return Fill::kCancelled;
  uint64_t oldest = OldestRetained();
  if (watcher.cursor_ + 1 < oldest) {
    // Pruned before this watcher read it: never skip silently.
    auto gap = std::make_shared<wf::LogEvent>();
    uint64_t from = watcher.cursor_ + 1, through = oldest - 1;
    gap->set_sequence(through);
    gap->set_timestamp_ms(NowMs());
    gap->set_kind(wf::LOG_EVENT_KIND_GAP);
    gap->set_level(wf::LOG_LEVEL_WARN);
    gap->set_message("missed events " + std::to_string(from) + "..." + std::to_string(through) +
                     ": they are no longer retained");
    gap->set_gap_from_sequence(from);
    gap->set_gap_to_sequence(through);
    watcher.queue_.push_back(std::move(gap));
    watcher.cursor_ = through;
    return Fill::kEvents;
  }
  uint64_t end = std::min(last_sequence_, watcher.cursor_ + kScanBudget);
  uint64_t current = watcher.cursor_;
  while (current < end && watcher.queue_.size() < kReadBatch) {
    const EventPtr& event = EventAt(++current);
    if (watcher.filter_.Matches(*event)) watcher.queue_.push_back(event);
  }
  watcher.cursor_ = current;
  if (!watcher.queue_.empty()) return Fill::kEvents;
  if (current < last_sequence_) return Fill::kScanning;
  // Caught up.
  if (!watcher.filter_.workflow_id.empty()) {
    if (watcher.ended_at_start_) return Fill::kEndOk;
    auto found = records_.find(watcher.filter_.workflow_id);
    if (found == records_.end() || found->second->workflow.status() != wf::WORKFLOW_STATUS_RUNNING) return Fill::kEndOk;
  }
  if (shutting_down_) return Fill::kShuttingDown;
  waiters_.insert(&watcher);
  return Fill::kWaiting;
}

bool Engine::CancelWatcher(WatchReactor& watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  watcher.cancelled_.store(true, std::memory_order_release);
  return waiters_.erase(&watcher) == 1;
}

// MARK: - Engine: running workflows

void Engine::ScheduleAfter(WorkflowRecord& record, int delay_ms) {
  timers_.push(Timer{SteadyClock::now() + std::chrono::milliseconds(delay_ms), timer_order_++, &record});
}

void Engine::RunLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<WatchReactor*> wake;
  while (!stop_runner_) {
    WorkflowRecord* record = nullptr;
    if (!ready_.empty()) {
      record = ready_.front();
      ready_.pop_front();
    } else if (!timers_.empty() && timers_.top().due <= SteadyClock::now()) {
      record = timers_.top().record;
      timers_.pop();
    } else if (!timers_.empty()) {
      runner_wake_.wait_until(lock, timers_.top().due);
      continue;
    } else {
      runner_wake_.wait(lock);
      continue;
    }
    if (record->phase != WorkflowRecord::Phase::kEnded) Advance(*record);
    if (!to_wake_.empty()) {
      wake.swap(to_wake_);
      lock.unlock();
      Wake(wake);
      lock.lock();
    }
  }
}

/// Runs `record` until it waits (a step delay), has had its turn, or ends.
void Engine::Advance(WorkflowRecord& record) {
  const TestConfiguration& configuration = record.configuration;
  int budget = kStepsPerTurn;
  while (true) {
    switch (record.phase) {
      case WorkflowRecord::Phase::kEnded:
        return;
      case WorkflowRecord::Phase::kStartJob:
        if (record.position == configuration.jobs) return CompleteWorkflow(record);
        StartJob(record);
        record.phase = WorkflowRecord::Phase::kStep;
        if (record.processed() > 0 && configuration.step_delay_ms > 0) {
          return ScheduleAfter(record, configuration.step_delay_ms);  // the pause before the first step
        }
        break;
      case WorkflowRecord::Phase::kStep:
        if (record.item < record.processed()) {
          int item = ++record.item;
          int total = configuration.steps;
          LogStep(record, "Processed item " + std::to_string(item) + " of " + std::to_string(total), wf::LOG_LEVEL_INFO, item);
          record.items_processed += 1;
          LogProgress(record, item);
          if (record.item < record.processed()) {
            if (configuration.step_delay_ms > 0) return ScheduleAfter(record, configuration.step_delay_ms);
            if (--budget == 0) {
              ready_.push_back(&record);
              return;
            }
            break;
          }
        }
        // The job's function returned (or threw).
        if (record.failing()) {
          int total = configuration.steps;
          if (record.item < total) {
            int next = record.item + 1;
            LogStep(record, "Failed to process item " + std::to_string(next) + " of " + std::to_string(total),
                    wf::LOG_LEVEL_ERROR, next);
          }
          record.items_failed += 1;
          return Fail(record, configuration.fail_message, kTestFailureStack, true);
        }
        CompleteJob(record);
        record.position += 1;
        record.phase = WorkflowRecord::Phase::kStartJob;
        break;
    }
  }
}

void Engine::StartJob(WorkflowRecord& record) {
  int64_t now = NowMs();
  wf::Job* job = record.workflow.mutable_jobs(record.position);
  job->set_status(wf::JOB_STATUS_RUNNING);
  job->set_started_at_ms(now);
  record.item = 0;
  record.items_processed = 0;
  record.items_failed = 0;
  record.job_start = SteadyClock::now();
  auto event = NewEvent(record, wf::LOG_EVENT_KIND_JOB_STARTED, wf::LOG_LEVEL_INFO, "Job " + job->name() + " started", now,
                        record.position);
  event->set_job_status(wf::JOB_STATUS_RUNNING);
  Append(std::move(event));
}

void Engine::LogStep(WorkflowRecord& record, const std::string& message, wf::LogLevel level, int item) {
  int64_t now = NowMs();
  wf::Job* job = record.workflow.mutable_jobs(record.position);
  std::string number = std::to_string(record.position + 1) + "-" + std::to_string(item);
  auto event = NewEvent(record, wf::LOG_EVENT_KIND_STEP_LOGGED, level, message, now, record.position);
  wf::Step* step = event->mutable_step();
  step->set_id(job->id() + "-s" + std::to_string(job->steps_size() + 1));
  step->set_message(message);
  step->set_level(level);
  wf::EntityRef* entity = step->mutable_entity();
  entity->set_tag("ITEM-" + number);
  entity->set_route("/items/" + number);
  entity->set_id(number);
  entity->set_type("TestItem");
  step->set_timestamp_ms(now);
  step->set_attempt(job->attempt());
  wf::Step* kept = job->add_steps();
  *kept = *step;
  Append(std::move(event));
  kept->set_sequence(last_sequence_);
  job->set_step_count(job->steps_size());
}

void Engine::LogProgress(WorkflowRecord& record, int item) {
  int64_t now = NowMs();
  int total = record.configuration.steps;
  double progress = double(item) / double(total);
  std::string message = "Processed " + std::to_string(item) + "/" + std::to_string(total) + " items";
  wf::Job* job = record.workflow.mutable_jobs(record.position);
  job->set_progress(progress);
  job->set_progress_message(message);
  auto event = NewEvent(record, wf::LOG_EVENT_KIND_PROGRESS_UPDATED, wf::LOG_LEVEL_INFO, message, now, record.position);
  event->set_progress(progress);
  event->set_progress_message(std::move(message));
  Append(std::move(event));
}

/// The running job's stats: its duration and the counters it touched.
static wf::Stats JobStats(const WorkflowRecord& record, bool job_ran) {
  wf::Stats stats;
  if (!job_ran) return stats;
  stats.set_duration_ms(MillisecondsSince(record.job_start));
  if (record.items_failed > 0) (*stats.mutable_counters())["itemsFailed"] = record.items_failed;
  if (record.items_processed > 0) (*stats.mutable_counters())["itemsProcessed"] = record.items_processed;
  return stats;
}

void Engine::CompleteJob(WorkflowRecord& record) {
  int64_t now = NowMs();
  wf::Stats stats = JobStats(record, true);
  wf::Job* job = record.workflow.mutable_jobs(record.position);
  job->set_status(wf::JOB_STATUS_COMPLETED);
  job->set_finished_at_ms(now);
  *job->mutable_stats() = stats;
  job->set_progress(1);
  auto event = NewEvent(record, wf::LOG_EVENT_KIND_JOB_COMPLETED, wf::LOG_LEVEL_INFO,
                        "Job " + job->name() + " completed in " + std::to_string(stats.duration_ms()) + " ms", now,
                        record.position);
  event->set_job_status(wf::JOB_STATUS_COMPLETED);
  *event->mutable_stats() = std::move(stats);
  Append(std::move(event));
}

wf::Stats Engine::TotalStats(const WorkflowRecord& record) const {
  wf::Stats stats;
  stats.set_duration_ms(MillisecondsSince(record.start_instant));
  for (const wf::Job& job : record.workflow.jobs()) {
    for (const auto& [name, value] : job.stats().counters()) (*stats.mutable_counters())[name] += value;
  }
  return stats;
}

void Engine::CompleteWorkflow(WorkflowRecord& record) {
  int64_t now = NowMs();
  wf::Stats stats = TotalStats(record);
  wf::Workflow& workflow = record.workflow;
  workflow.set_status(wf::WORKFLOW_STATUS_COMPLETED);
  workflow.set_finished_at_ms(now);
  *workflow.mutable_stats() = stats;
  auto event = NewEvent(record, wf::LOG_EVENT_KIND_WORKFLOW_COMPLETED, wf::LOG_LEVEL_INFO,
                        "Workflow " + workflow.type() + " completed in " + std::to_string(stats.duration_ms()) + " ms", now);
  event->set_workflow_status(wf::WORKFLOW_STATUS_COMPLETED);
  *event->mutable_stats() = std::move(stats);
  Append(std::move(event));
  Finish(record);
}

/// Fails the job at record.position with `error`, cancels the later jobs and fails the workflow.
/// `job_ran`: the job started (its stats count); false when interrupted before it started.
void Engine::Fail(WorkflowRecord& record, const std::string& error, const std::string& stack, bool job_ran) {
  int64_t now = NowMs();
  wf::Workflow& workflow = record.workflow;
  wf::Stats job_stats = JobStats(record, job_ran);
  wf::Job* job = workflow.mutable_jobs(record.position);
  job->set_status(wf::JOB_STATUS_FAILED);
  job->set_finished_at_ms(now);
  *job->mutable_stats() = job_stats;
  job->set_error(error);
  job->set_stack(stack);
  std::vector<std::shared_ptr<wf::LogEvent>> batch;
  auto failed = NewEvent(record, wf::LOG_EVENT_KIND_JOB_FAILED, wf::LOG_LEVEL_ERROR,
                         "Job " + job->name() + " failed: " + error, now, record.position);
  failed->set_job_status(wf::JOB_STATUS_FAILED);
  *failed->mutable_stats() = job_stats;
  failed->set_error(error);
  failed->set_stack(stack);
  batch.push_back(std::move(failed));
  for (int later = record.position + 1; later < workflow.jobs_size(); ++later) {
    wf::Job* cancelled = workflow.mutable_jobs(later);
    cancelled->set_status(wf::JOB_STATUS_CANCELLED);
    cancelled->set_finished_at_ms(now);
    auto event = NewEvent(record, wf::LOG_EVENT_KIND_JOB_CANCELLED, wf::LOG_LEVEL_WARN,
                          "Job " + cancelled->name() + " cancelled because " + job->name() + " failed", now, later);
    event->set_job_status(wf::JOB_STATUS_CANCELLED);
    batch.push_back(std::move(event));
  }
  wf::Stats stats = TotalStats(record);
  workflow.set_status(wf::WORKFLOW_STATUS_FAILED);
  workflow.set_finished_at_ms(now);
  *workflow.mutable_stats() = stats;
  workflow.set_error(error);
  workflow.set_failed_job_id(job->id());
  workflow.set_failed_job_name(job->name());
  auto notice = NewEvent(record, wf::LOG_EVENT_KIND_FAILURE_NOTICE, wf::LOG_LEVEL_ERROR,
                         workflow.type() + " failed at " + job->name() + ": " + error, now, record.position);
  notice->set_error(error);
  batch.push_back(std::move(notice));
  auto ended = NewEvent(record, wf::LOG_EVENT_KIND_WORKFLOW_FAILED, wf::LOG_LEVEL_ERROR,
                        "Workflow " + workflow.type() + " failed at " + job->name() + ": " + error, now);
  ended->set_workflow_status(wf::WORKFLOW_STATUS_FAILED);
  *ended->mutable_stats() = std::move(stats);
  ended->set_error(error);
  batch.push_back(std::move(ended));
  for (auto& event : batch) Append(std::move(event));
  Finish(record);
}

/// The workflow ended: forget the oldest finished workflows beyond the retention.
///
/// ready_ and timers_ hold raw record pointers. The runner never queues an ended workflow, so
/// only the workflows BeginShutdown ends can still be queued, and they are the newest finished
/// ones: retention never forgets them before the runner stops.
void Engine::Finish(WorkflowRecord& record) {
  record.phase = WorkflowRecord::Phase::kEnded;
  finished_ids_.push_back(record.workflow.id());
  while (finished_ids_.size() > kWorkflowRetention) {
    auto found = records_.find(finished_ids_.front());
    finished_ids_.pop_front();
    if (found == records_.end()) continue;
    const std::string& request_id = found->second->workflow.request_id();
    if (!request_id.empty()) {
      auto mapped = ids_by_request_id_.find(request_id);
      if (mapped != ids_by_request_id_.end() && mapped->second == found->first) ids_by_request_id_.erase(mapped);
    }
    records_.erase(found);
  }
}

// MARK: - Engine: shutdown

void Engine::BeginShutdown() {
  std::vector<WatchReactor*> wake, waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    std::vector<WorkflowRecord*> running;
    for (auto& [id, record] : records_) {
      if (record->phase != WorkflowRecord::Phase::kEnded) running.push_back(record.get());
    }
    std::sort(running.begin(), running.end(),
              [](auto* a, auto* b) { return a->first_sequence < b->first_sequence; });
    for (WorkflowRecord* record : running) {
      if (record->phase == WorkflowRecord::Phase::kStartJob && record->position == record->configuration.jobs) {
        CompleteWorkflow(*record);  // every job done: it completes, as in workflowd
      } else {
        Fail(*record, kShutdownError, kShutdownStack, record->phase == WorkflowRecord::Phase::kStep);
      }
    }
    // Watchers woken by those events see shutting_down_ once caught up; the ones still waiting
    // (no new event for them) are taken off the waiters here and ended.
    wake.swap(to_wake_);
    waiting.assign(waiters_.begin(), waiters_.end());
    waiters_.clear();
  }
  Wake(wake);
  for (WatchReactor* watcher : waiting) {
    watcher->FinishTaken(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
  }
}

void Engine::StopRunner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_runner_) return;
    stop_runner_ = true;
  }
  runner_wake_.notify_one();
  runner_.join();
}

// MARK: - Service

class WorkflowService final : public wf::WorkflowService::CallbackService {
 public:
  explicit WorkflowService(Engine& engine) : engine_(engine) {}

  grpc::ServerUnaryReactor* StartWorkflow(grpc::CallbackServerContext* context, const wf::StartWorkflowRequest* request,
                                          wf::StartWorkflowResponse* response) override {
    grpc::Status status = CheckStart(*request);
    if (status.ok()) status = engine_.Start(*request, response);
    return Answer(context, status);
  }

  grpc::ServerUnaryReactor* GetWorkflow(grpc::CallbackServerContext* context, const wf::GetWorkflowRequest* request,
                                        wf::Workflow* response) override {
    grpc::Status status = CheckWorkflowId(request->workflow_id(), true);
    if (status.ok()) status = engine_.Get(request->workflow_id(), response);
    return Answer(context, status);
  }

  grpc::ServerWriteReactor<wf::LogEvent>* WatchLogs(grpc::CallbackServerContext* context,
                                                   const wf::WatchLogsRequest* request) override {
    grpc::Status status = CheckWatch(*request);
    uint64_t cursor = 0;
    bool ended_at_start = false;
    if (status.ok()) status = engine_.OpenWatch(*request, cursor, ended_at_start);
    if (!status.ok()) return new RefusedWatch(engine_.counts(), status);
    WatchFilter filter;
    filter.workflow_id = request->workflow_id();
    filter.workflow_type = request->workflow_type();
    filter.user_id = request->user_id();
    filter.job_id = request->job_id();
    filter.entity_tag = request->entity_tag();
    filter.min_level = std::max<int>(request->min_level(), wf::LOG_LEVEL_DEBUG);
    auto* reactor = new WatchReactor(&engine_, std::move(filter), cursor, ended_at_start);
    reactor->Start();
    return reactor;
  }

  grpc::ServerUnaryReactor* RetryWorkflow(grpc::CallbackServerContext* context, const wf::RetryWorkflowRequest*,
                                          wf::RetryWorkflowResponse*) override {
    return Unimplemented(context);
  }
  grpc::ServerUnaryReactor* CancelWorkflow(grpc::CallbackServerContext* context, const wf::CancelWorkflowRequest*,
                                           wf::CancelWorkflowResponse*) override {
    return Unimplemented(context);
  }
  grpc::ServerUnaryReactor* ListWorkflows(grpc::CallbackServerContext* context, const wf::ListWorkflowsRequest*,
                                          wf::ListWorkflowsResponse*) override {
    return Unimplemented(context);
  }

 private:
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const grpc::Status& status) {
    engine_.counts().Record(status.error_code());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  grpc::ServerUnaryReactor* Unimplemented(grpc::CallbackServerContext* context) {
    return Answer(context, grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not implemented by the reference server"));
  }

  Engine& engine_;
};

int Usage() {
  std::fprintf(stderr, "usage: reference_server --port N [--tls-cert PEM --tls-key PEM]   (0 picks a free port)\n");
  return 64;  // EX_USAGE
}

// The whole file at `path`, or nothing if it cannot be read.
std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  int port = -1;
  std::string certificate_path;
  std::string key_path;
  for (int index = 1; index < argc; ++index) {
    std::string argument = argv[index];
    if (argument == "--port" && index + 1 < argc) {
      auto parsed = TestConfiguration::ParseInteger(argv[++index]);
      if (!parsed || *parsed < 0 || *parsed > 65535) return Usage();
      port = int(*parsed);
    } else if (argument == "--tls-cert" && index + 1 < argc) {
      certificate_path = argv[++index];
    } else if (argument == "--tls-key" && index + 1 < argc) {
      key_path = argv[++index];
    } else {
      return Usage();
    }
  }
  if (port < 0 || certificate_path.empty() != key_path.empty()) return Usage();
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!certificate_path.empty()) {
    auto certificate = ReadWholeFile(certificate_path);
    auto key = ReadWholeFile(key_path);
    if (!certificate || !key) {
      std::fprintf(stderr, "reference_server: cannot read %s or %s\n", certificate_path.c_str(), key_path.c_str());
      return 66;  // EX_NOINPUT
    }
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({*key, *certificate});
    credentials = grpc::SslServerCredentials(options);
  }

  // Block the stop signals in every thread (gRPC's inherit the mask) and take them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Engine engine;
  WorkflowService service(engine);
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), credentials, &selected_port);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected_port == 0) {
    std::fprintf(stderr, "reference_server: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  std::printf("server.port=%d\n", selected_port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  engine.BeginShutdown();
  auto deadline = std::chrono::system_clock::now() +
                  std::chrono::milliseconds(int64_t(kShutdownGraceSeconds * 1000));
  server->Shutdown(deadline);
  server->Wait();
  engine.StopRunner();
  std::printf("server.calls_by_status=%s\n", engine.counts().Line().c_str());
  std::fflush(stdout);
  return 0;
}
