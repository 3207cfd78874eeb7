// load_worker: a native load worker for workflow.v1.WorkerService (remote jobs), driven by
// Benchmarks/remote_jobs.py against workflowd.
//
//   load_worker throughput TARGET [--workers 4] [--slots 64] [--jobs 10] [--in-flight 256]
//                                 [--seconds 10] [--warmup-seconds 3] [--drain-seconds 30]
//                                 [--type REMOTE_NOOP] [--queue bench] [--progress-seconds P]
//   load_worker latency TARGET    [--samples 2000] [--warmup-samples 100]
//                                 [--type REMOTE_STEP] [--queue latency]
//   every command also takes --timeout-seconds S (default 600): past it, the worker fails.
//
// TARGET is host:port. Output is key=value lines on stdout; any failure (a non-OK status, a
// refused report, a lost workflow, the timeout) exits 1 with one line on stderr, after the
// figures measured so far.
//
// throughput: W worker streams (`Connect`, each on its own TCP connection, S slots, unique
// instance ids) answer every assignment at once with ONE report (sequence 1, completed,
// counters {"itemsProcessed": 1}) and heartbeat every 500 ms. Meanwhile a starter keeps about
// C workflows of TYPE (a template of N remote jobs on QUEUE) in flight over a channel of its
// own: a workflow counts as done when the report that ended its last job (job_position N-1)
// is acknowledged (which the protocol says means durable). After the warm-up it prints `measure=start`, after the measured
// seconds `measure=end` (both flushed at once, so a driver can read the server's CPU time
// right then), stops starting workflows, waits until every started one is done, closes the
// streams, and prints the figures: remote jobs (acknowledged end reports) and workflows per
// second in the window, and the worker-side assignment→ack latency of the window's jobs.
// Checks on the way: no assignment beyond a worker's slots, no lease assigned twice, no
// refusal, no cancelled lease, no unexpected ack, every started workflow done. --progress-seconds P also prints
// the rate of every P seconds of the window to stderr (to see a server slow down).
//
// latency: one worker (1 slot) and a WatchLogs stream of every TYPE workflow in the same
// process. One workflow at a time: the worker answers its assignment with a report holding one
// step whose message is the send time (steady clock, ns), waits for that step's STEP_LOGGED on
// the watcher and the report's ack, then ends the job with a second report and waits for the
// workflow's WORKFLOW_COMPLETED. step_to_watcher is the watcher's receive time − the send time;
// report_to_ack the ack's receive time − the send time.
//
// Threads: gRPC's callback threads run every reaction; a stream's writes go through its own
// outbox (one write in flight, the next started from OnWriteDone); the heartbeat thread and the
// starter thread sleep on condition variables; no thread polls.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench_support.h"
#include "workflow/v1/workflow.grpc.pb.h"

namespace {

namespace wf = workflow::v1;
using Clock = std::chrono::steady_clock;

using bench::ArmTimeout;
using bench::Describe;
using bench::Fail;
using bench::SecondsBetween;
using bench::SetProgress;

int64_t NowNanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

using Arguments = bench::Arguments;

// MARK: - Channels and statistics

/// A channel with its own subchannel, hence its own TCP connection, as a separate worker
/// process would have.
std::shared_ptr<grpc::Channel> Connect(const std::string& target, int connection_index) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt("load_worker.connection", connection_index);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
}

void SetDeadline(grpc::ClientContext& context, double seconds) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(int64_t(seconds * 1000)));
}

/// Nearest-rank percentile of sorted values (as bench.py computes it).
double Percentile(const std::vector<int64_t>& sorted, double percent) {
  if (sorted.empty()) return 0;
  size_t rank = size_t(std::max<double>(1, std::ceil(sorted.size() * percent / 100)));
  return double(sorted[std::min(rank, sorted.size()) - 1]);
}

/// Prints `prefix_p50_us=... prefix_p90_us=... prefix_p99_us=... prefix_max_us=...` of
/// nanosecond samples.
void PrintLatencies(const std::string& prefix, std::vector<int64_t> nanoseconds) {
  std::sort(nanoseconds.begin(), nanoseconds.end());
  double mean = 0;
  for (int64_t value : nanoseconds) mean += double(value);
  if (!nanoseconds.empty()) mean /= double(nanoseconds.size());
  std::printf("%s_samples=%zu %s_p50_us=%.1f %s_p90_us=%.1f %s_p99_us=%.1f %s_max_us=%.1f %s_mean_us=%.1f\n",
              prefix.c_str(), nanoseconds.size(), prefix.c_str(), Percentile(nanoseconds, 50) / 1000,
              prefix.c_str(), Percentile(nanoseconds, 90) / 1000, prefix.c_str(), Percentile(nanoseconds, 99) / 1000,
              prefix.c_str(), nanoseconds.empty() ? 0.0 : double(nanoseconds.back()) / 1000, prefix.c_str(),
              mean / 1000);
}

std::string Start(wf::WorkflowService::Stub& stub, const std::string& type) {
  wf::StartWorkflowRequest request;
  request.set_type(type);
  request.set_summary("load_worker");
  wf::StartWorkflowResponse response;
  grpc::ClientContext context;
  SetDeadline(context, 30);
  grpc::Status status = stub.StartWorkflow(&context, request, &response);
  if (!status.ok()) Fail("StartWorkflow: " + Describe(status));
  return response.workflow_id();
}

// MARK: - One worker stream

class WorkerStream;

/// What a load does with a worker's assignments and acknowledgements. Called on gRPC's
/// callback threads, one message of a stream at a time.
class WorkerEvents {
 public:
  virtual ~WorkerEvents() = default;
  virtual void Assigned(WorkerStream& worker, const wf::JobAssignment& assignment, Clock::time_point at) = 0;
  virtual void Acked(WorkerStream& worker, const wf::ReportAck& ack, Clock::time_point at) = 0;
};

/// One `Connect` stream: the hello, a read always pending, an outbox with one write in flight,
/// and the checks every load makes (slots, refusals, cancellations). Owned by the load; deleted
/// only after OnDone.
class WorkerStream : public grpc::ClientBidiReactor<wf::WorkerMessage, wf::ServerMessage> {
 public:
  WorkerStream(int index, std::shared_ptr<grpc::Channel> channel, const std::string& queue, int slots,
               WorkerEvents& events)
      : index_(index), slots_(slots), channel_(std::move(channel)), stub_(wf::WorkerService::NewStub(channel_)),
        events_(events) {
    char instance[64];
    std::snprintf(instance, sizeof instance, "load-worker-%d-%d", int(getpid()), index);
    wf::WorkerMessage hello;
    wf::WorkerHello* body = hello.mutable_hello();
    body->set_name("load_worker");
    body->set_instance_id(instance);
    body->add_queues(queue);
    body->set_slots(slots);
    outbox_.push_back(std::move(hello));
    writing_ = true;
  }

  void Begin() {
    stub_->async()->Connect(&context_, this);
    StartRead(&incoming_);
    WriteNext();
    StartCall();
  }

  /// Queues `message` (dropped once the stream is closing).
  void Send(wf::WorkerMessage message) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_) return;
      if (message.has_report() && message.report().end_case() != wf::JobReport::END_NOT_SET) {
        held_.erase(message.report().lease().epoch());
      }
      outbox_.push_back(std::move(message));
      if (writing_) return;
      writing_ = true;
    }
    WriteNext();
  }

  /// Queues a heartbeat naming every lease whose end report is not queued yet. Composed and
  /// queued under one lock: a heartbeat queued after an end report never names its lease (the
  /// server would answer that lease's name with a cancellation).
  void Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_) return;
      wf::WorkerMessage message;
      wf::WorkerHeartbeat* heartbeat = message.mutable_heartbeat();
      for (const auto& [epoch, lease] : held_) *heartbeat->add_leases() = lease;
      outbox_.push_back(std::move(message));
      if (writing_) return;
      writing_ = true;
    }
    WriteNext();
  }

  /// Sends what is queued, then ends the requests (WritesDone); the server then ends the call.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_) return;
      closing_ = true;
      if (writing_) return;  // WriteNext ends the requests once the outbox is empty
      writing_ = true;
    }
    WriteNext();
  }

  bool WaitWelcome(Clock::duration patience) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, patience, [&] { return welcomed_ || done_; }) && welcomed_;
  }

  /// Waits for OnDone and returns the call's status.
  grpc::Status WaitDone() {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return done_; });
    return status_;
  }

  int index() const { return index_; }
  int64_t heartbeat_interval_ms() const { return heartbeat_interval_ms_; }

  // Checks, read once the stream is done (or for a progress message).
  std::atomic<uint64_t> assignments{0};
  std::atomic<uint64_t> ends_written{0};
  std::atomic<uint64_t> acks{0};
  std::atomic<uint64_t> refusals{0};
  std::atomic<uint64_t> cancellations{0};
  std::atomic<uint64_t> slot_violations{0};
  std::atomic<uint64_t> most_held{0};
  std::string first_refusal;       // guarded by mu_
  std::string first_cancellation;  // guarded by mu_

  std::string FirstRefusal() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_refusal;
  }

  std::string FirstCancellation() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_cancellation;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the call ended; OnDone follows
    Clock::time_point at = Clock::now();
    switch (incoming_.message_case()) {
      case wf::ServerMessage::kWelcome: {
        std::lock_guard<std::mutex> lock(mu_);
        welcomed_ = true;
        heartbeat_interval_ms_ = incoming_.welcome().heartbeat_interval_ms();
        changed_.notify_all();
        break;
      }
      case wf::ServerMessage::kAssignment: {
        const wf::JobAssignment& assignment = incoming_.assignment();
        uint64_t count = assignments.fetch_add(1) + 1;
        // Server-side, the slot of an end report frees when the server reads it, after we
        // started writing it: assignments beyond slots + written ends are beyond the slots.
        uint64_t held = count - ends_written.load();
        if (held > uint64_t(slots_)) slot_violations.fetch_add(1);
        uint64_t most = most_held.load();
        while (held > most && !most_held.compare_exchange_weak(most, held)) {
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          held_[assignment.lease().epoch()] = assignment.lease();
        }
        events_.Assigned(*this, assignment, at);
        break;
      }
      case wf::ServerMessage::kAck:
        acks.fetch_add(1);
        events_.Acked(*this, incoming_.ack(), at);
        break;
      case wf::ServerMessage::kRefusal: {
        refusals.fetch_add(1);
        std::lock_guard<std::mutex> lock(mu_);
        if (first_refusal.empty()) {
          first_refusal = "report " + std::to_string(incoming_.refusal().sequence()) + " of epoch " +
                          std::to_string(incoming_.refusal().lease().epoch()) + " refused with code " +
                          std::to_string(incoming_.refusal().code()) + ": " + incoming_.refusal().message();
        }
        break;
      }
      case wf::ServerMessage::kCancellation: {
        cancellations.fetch_add(1);
        std::lock_guard<std::mutex> lock(mu_);
        if (first_cancellation.empty()) {
          first_cancellation = "epoch " + std::to_string(incoming_.cancellation().lease().epoch()) + ": " +
                               incoming_.cancellation().reason();
        }
        if (incoming_.cancellation().lease_ended()) held_.erase(incoming_.cancellation().lease().epoch());
        break;
      }
      default:
        break;
    }
    StartRead(&incoming_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      // The call is over (the server ended it): OnDone says why.
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
      return;
    }
    WriteNext();
  }

  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    status_ = status;
    changed_.notify_all();
  }

 private:
  /// Starts the next write, or ends the requests once closing with nothing left. Called with
  /// `writing_` set and no write in flight.
  void WriteNext() {
    std::unique_lock<std::mutex> lock(mu_);
    if (outbox_.empty()) {
      writing_ = false;
      if (closing_ && !writes_done_) {
        writes_done_ = true;
        writing_ = true;  // nothing more is ever written
        lock.unlock();
        StartWritesDone();
      }
      return;
    }
    current_ = std::move(outbox_.front());
    outbox_.pop_front();
    if (current_.has_report() && current_.report().end_case() != wf::JobReport::END_NOT_SET) {
      ends_written.fetch_add(1);
    }
    lock.unlock();
    StartWrite(&current_);
  }

  const int index_;
  const int slots_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<wf::WorkerService::Stub> stub_;
  WorkerEvents& events_;
  grpc::ClientContext context_;
  wf::ServerMessage incoming_;  // the pending read's target
  wf::WorkerMessage current_;   // the write in flight

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<wf::WorkerMessage> outbox_;
  bool writing_ = false;       // a write (or WritesDone) is in flight, or WriteNext is about to start one
  bool closing_ = false;       // no more sends; WritesDone once the outbox is empty
  bool writes_done_ = false;
  bool welcomed_ = false;
  int64_t heartbeat_interval_ms_ = 0;
  std::unordered_map<uint64_t, wf::LeaseToken> held_;  // assigned, end report not queued yet
  bool done_ = false;
  grpc::Status status_;
};

/// Heartbeats every stream every `interval` until stopped.
class Heartbeats {
 public:
  Heartbeats(std::vector<WorkerStream*> workers, std::chrono::milliseconds interval)
      : workers_(std::move(workers)), thread_([this, interval] { Run(interval); }) {}

  ~Heartbeats() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run(std::chrono::milliseconds interval) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!changed_.wait_for(lock, interval, [&] { return stopping_; })) {
      lock.unlock();
      for (WorkerStream* worker : workers_) worker->Heartbeat();
      lock.lock();
    }
  }

  std::vector<WorkerStream*> workers_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::thread thread_;
};

/// Opens `count` worker streams and waits for each one's welcome.
std::vector<std::unique_ptr<WorkerStream>> OpenWorkers(const std::string& target, int count, const std::string& queue,
                                                       int slots, WorkerEvents& events) {
  std::vector<std::unique_ptr<WorkerStream>> workers;
  for (int index = 0; index < count; ++index) {
    workers.push_back(std::make_unique<WorkerStream>(index, Connect(target, index), queue, slots, events));
  }
  for (auto& worker : workers) worker->Begin();
  SetProgress("waiting for the workers' welcome");
  for (auto& worker : workers) {
    if (!worker->WaitWelcome(std::chrono::seconds(30))) {
      Fail("worker " + std::to_string(worker->index()) + " got no welcome: " + Describe(worker->WaitDone()));
    }
  }
  return workers;
}

/// Ends every stream and checks each ended OK.
void CloseWorkers(std::vector<std::unique_ptr<WorkerStream>>& workers) {
  SetProgress("closing the worker streams");
  for (auto& worker : workers) worker->Close();
  for (auto& worker : workers) {
    grpc::Status status = worker->WaitDone();
    if (!status.ok()) Fail("worker " + std::to_string(worker->index()) + "'s stream ended with " + Describe(status));
  }
}

// MARK: - throughput

class ThroughputLoad : public WorkerEvents {
 public:
  ThroughputLoad(const std::string& target, std::string type, int jobs, int in_flight)
      : type_(std::move(type)), jobs_(jobs), target_in_flight_(in_flight),
        starter_stub_(wf::WorkflowService::NewStub(Connect(target, 1000000))) {}

  void Assigned(WorkerStream& worker, const wf::JobAssignment& assignment, Clock::time_point at) override {
    uint64_t epoch = assignment.lease().epoch();
    bool last = assignment.job_position() == jobs_ - 1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!seen_epochs_.insert(epoch).second) duplicate_assignments_ += 1;
      if (assignment.workflow_type() != type_) unexpected_assignments_ += 1;
      pending_[epoch] = Pending{at, last, measuring_};
    }
    wf::WorkerMessage message;
    wf::JobReport* report = message.mutable_report();
    *report->mutable_lease() = assignment.lease();
    report->set_sequence(1);
    (*report->mutable_counters())["itemsProcessed"] = 1;
    report->mutable_completed();
    worker.Send(std::move(message));
  }

  void Acked(WorkerStream& worker, const wf::ReportAck& ack, Clock::time_point at) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = pending_.find(ack.lease().epoch());
    if (found == pending_.end() || ack.sequence() != 1) {
      unexpected_acks_ += 1;
      return;
    }
    Pending pending = found->second;
    pending_.erase(found);
    jobs_done_ += 1;
    if (pending.measured && measuring_) latencies_.push_back((at - pending.assigned_at).count());
    if (pending.last) {
      workflows_done_ += 1;
      in_flight_ -= 1;
      Mark(ack.lease().workflow_id(), kDone);
      changed_.notify_all();
    }
  }

  int Run(const std::string& target, int workers_count, int slots, const std::string& queue, double warmup,
          double seconds, double drain, double progress_every) {
    auto workers = OpenWorkers(target, workers_count, queue, slots, *this);
    std::vector<WorkerStream*> raw;
    for (auto& worker : workers) raw.push_back(worker.get());
    Heartbeats heartbeats(raw, std::chrono::milliseconds(500));
    std::thread starter([this] { Starter(); });

    SetProgress("warming up");
    std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
    uint64_t jobs_before, workflows_before;
    Clock::time_point t0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      measuring_ = true;
      jobs_before = jobs_done_;
      workflows_before = workflows_done_;
      t0 = Clock::now();
    }
    std::printf("measure=start\n");
    std::fflush(stdout);
    SetProgress("measuring");
    if (progress_every > 0) {
      Clock::time_point tick = t0;
      uint64_t jobs_at_tick = jobs_before;
      while (SecondsBetween(t0, Clock::now()) + progress_every <= seconds) {
        std::this_thread::sleep_until(tick + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(progress_every)));
        Clock::time_point now = Clock::now();
        uint64_t jobs_now;
        {
          std::lock_guard<std::mutex> lock(mu_);
          jobs_now = jobs_done_;
        }
        std::fprintf(stderr, "progress seconds=%.0f remote_jobs_per_second=%.0f\n", SecondsBetween(t0, now),
                     (jobs_now - jobs_at_tick) / SecondsBetween(tick, now));
        tick = now;
        jobs_at_tick = jobs_now;
      }
    }
    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
    uint64_t jobs_after, workflows_after;
    Clock::time_point t1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      measuring_ = false;
      jobs_after = jobs_done_;
      workflows_after = workflows_done_;
      t1 = Clock::now();
    }
    std::printf("measure=end\n");
    std::fflush(stdout);

    // Stop starting, then wait for every started workflow to finish.
    Clock::time_point drain_start = Clock::now();
    uint64_t unfinished;
    {
      std::unique_lock<std::mutex> lock(mu_);
      stop_starting_ = true;
      changed_.notify_all();
    }
    starter.join();
    {
      std::unique_lock<std::mutex> lock(mu_);
      SetProgress("draining " + std::to_string(in_flight_) + " workflows");
      changed_.wait_for(lock, std::chrono::duration<double>(drain),
                        [&] { return in_flight_ == 0 && start_calls_pending_ == 0; });
      unfinished = in_flight_;
    }
    double drain_seconds = SecondsBetween(drain_start, Clock::now());
    heartbeats.Stop();
    if (unfinished == 0) CloseWorkers(workers);

    double window = SecondsBetween(t0, t1);
    uint64_t jobs = jobs_after - jobs_before;
    uint64_t workflows = workflows_after - workflows_before;
    uint64_t assignments = 0, acks = 0, refusals = 0, cancellations = 0, slot_violations = 0, most_held = 0;
    std::string refusal, cancellation;
    for (auto& worker : workers) {
      assignments += worker->assignments;
      acks += worker->acks;
      refusals += worker->refusals;
      cancellations += worker->cancellations;
      slot_violations += worker->slot_violations;
      most_held = std::max<uint64_t>(most_held, worker->most_held);
      if (refusal.empty()) refusal = worker->FirstRefusal();
      if (cancellation.empty()) cancellation = worker->FirstCancellation();
    }
    std::lock_guard<std::mutex> lock(mu_);
    std::printf("workers=%d slots=%d jobs_per_workflow=%d in_flight=%d warmup_seconds=%.1f seconds=%.3f\n",
                workers_count, slots, jobs_, target_in_flight_, warmup, window);
    std::printf("remote_jobs=%llu remote_jobs_per_second=%.0f workflows=%llu workflows_per_second=%.1f\n",
                (unsigned long long)jobs, jobs / window, (unsigned long long)workflows, workflows / window);
    PrintLatencies("assign_to_ack", latencies_);
    std::printf("started_workflows=%llu finished_workflows=%llu total_jobs=%llu assignments=%llu acks=%llu "
                "drain_seconds=%.3f most_held_per_worker=%llu\n",
                (unsigned long long)started_, (unsigned long long)workflows_done_, (unsigned long long)jobs_done_,
                (unsigned long long)assignments, (unsigned long long)acks, drain_seconds,
                (unsigned long long)most_held);
    std::printf("unfinished_workflows=%llu refusals=%llu cancellations=%llu slot_violations=%llu "
                "duplicate_assignments=%llu unexpected_assignments=%llu unexpected_acks=%llu\n",
                (unsigned long long)unfinished, (unsigned long long)refusals, (unsigned long long)cancellations,
                (unsigned long long)slot_violations, (unsigned long long)duplicate_assignments_,
                (unsigned long long)unexpected_assignments_, (unsigned long long)unexpected_acks_);
    // Calls the server should count OK: every StartWorkflow and every Connect stream.
    std::printf("calls_ok=%llu\n", (unsigned long long)(started_ + (unfinished == 0 ? workers.size() : 0)));
    std::fflush(stdout);

    std::string problems;
    if (unfinished > 0) {
      problems += std::to_string(unfinished) + " workflows unfinished after " + std::to_string(int(drain)) + " s";
      int listed = 0;
      for (const auto& [id, marks] : workflows_) {
        if (listed++ == 3) break;
        problems += (listed == 1 ? " (e.g. " : ", ") + id + (marks & kDone ? " done" : " not done");
      }
      if (listed > 0) problems += ")";
      problems += "; ";
    }
    if (refusals > 0) problems += std::to_string(refusals) + " refused reports, the first: " + refusal + "; ";
    if (cancellations > 0) {
      problems += std::to_string(cancellations) + " cancellations (leases the server ended), the first: " + cancellation + "; ";
    }
    if (slot_violations > 0) problems += std::to_string(slot_violations) + " assignments beyond a worker's slots; ";
    if (duplicate_assignments_ > 0) problems += std::to_string(duplicate_assignments_) + " leases assigned twice; ";
    if (unexpected_assignments_ > 0) problems += std::to_string(unexpected_assignments_) + " assignments of another type; ";
    if (unexpected_acks_ > 0) problems += std::to_string(unexpected_acks_) + " unexpected acks; ";
    if (unfinished == 0 && !workflows_.empty()) {
      problems += std::to_string(workflows_.size()) + " workflows done twice or never started; ";
    }
    if (!problems.empty()) Fail(problems.substr(0, problems.size() - 2));
    return 0;
  }

 private:
  struct Pending {
    Clock::time_point assigned_at;
    bool last;       // the workflow's last job
    bool measured;   // assigned inside the measured window
  };
  static constexpr int kStarted = 1;
  static constexpr int kDone = 2;

  /// Records one fact about a workflow; forgets it once it started and is done. Under mu_.
  void Mark(const std::string& id, int mark) {
    int& marks = workflows_[id];
    if (marks & mark) marks |= 4;  // twice: kept, reported at the end
    marks |= mark;
    if (marks == (kStarted | kDone)) workflows_.erase(id);
  }

  /// Keeps about `target_in_flight_` workflows started and not done, until stopped.
  void Starter() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      changed_.wait(lock, [&] { return stop_starting_ || in_flight_ < uint64_t(target_in_flight_); });
      if (stop_starting_) return;
      uint64_t count = target_in_flight_ - in_flight_;
      in_flight_ += count;
      started_ += count;
      start_calls_pending_ += count;
      lock.unlock();
      for (uint64_t index = 0; index < count; ++index) StartOne();
      lock.lock();
    }
  }

  struct StartCall {
    grpc::ClientContext context;
    wf::StartWorkflowRequest request;
    wf::StartWorkflowResponse response;
  };

  void StartOne() {
    auto* call = new StartCall;
    call->request.set_type(type_);
    call->request.set_summary("load_worker");
    SetDeadline(call->context, 60);
    starter_stub_->async()->StartWorkflow(&call->context, &call->request, &call->response,
                                          [this, call](grpc::Status status) {
                                            if (!status.ok()) Fail("StartWorkflow: " + Describe(status));
                                            {
                                              std::lock_guard<std::mutex> lock(mu_);
                                              Mark(call->response.workflow_id(), kStarted);
                                              start_calls_pending_ -= 1;
                                              changed_.notify_all();
                                            }
                                            delete call;
                                          });
  }

  const std::string type_;
  const int jobs_;
  const int target_in_flight_;
  std::unique_ptr<wf::WorkflowService::Stub> starter_stub_;

  std::mutex mu_;
  std::condition_variable changed_;
  bool measuring_ = false;
  bool stop_starting_ = false;
  uint64_t in_flight_ = 0;           // started, last job not acknowledged
  uint64_t start_calls_pending_ = 0;
  uint64_t started_ = 0;
  uint64_t jobs_done_ = 0;
  uint64_t workflows_done_ = 0;
  uint64_t duplicate_assignments_ = 0;
  uint64_t unexpected_assignments_ = 0;
  uint64_t unexpected_acks_ = 0;
  std::unordered_map<uint64_t, Pending> pending_;       // by epoch: assigned, not acknowledged
  std::unordered_set<uint64_t> seen_epochs_;
  std::unordered_map<std::string, int> workflows_;      // marks of workflows not both started and done
  std::vector<int64_t> latencies_;                      // assignment → ack, ns
};

int Throughput(const Arguments& arguments) {
  if (arguments.positional.size() != 2) Fail("usage: throughput TARGET [--workers W] [--slots S] ...");
  arguments.RequireOnly({"workers", "slots", "jobs", "in-flight", "seconds", "warmup-seconds", "drain-seconds", "type",
                         "queue", "progress-seconds"});
  const std::string& target = arguments.positional[1];
  ThroughputLoad load(target, arguments.Text("type", "REMOTE_NOOP"), arguments.Count("jobs", 10),
                      arguments.Count("in-flight", 256));
  return load.Run(target, arguments.Count("workers", 4), arguments.Count("slots", 64), arguments.Text("queue", "bench"),
                  arguments.Number("warmup-seconds", 3), arguments.Number("seconds", 10),
                  arguments.Number("drain-seconds", 30), arguments.Number("progress-seconds", 0));
}

// MARK: - latency

/// One worker and one watcher, one workflow at a time.
class LatencyProbe : public WorkerEvents {
 public:
  void Assigned(WorkerStream& worker, const wf::JobAssignment& assignment, Clock::time_point at) override {
    std::lock_guard<std::mutex> lock(mu_);
    assignments_[assignment.lease().workflow_id()] = assignment.lease();
    changed_.notify_all();
  }

  void Acked(WorkerStream& worker, const wf::ReportAck& ack, Clock::time_point at) override {
    std::lock_guard<std::mutex> lock(mu_);
    Progress& progress = progress_[ack.lease().workflow_id()];
    if (ack.sequence() == 1 && progress.acked == 0) progress.first_ack_ns = at.time_since_epoch().count();
    progress.acked = std::max(progress.acked, ack.sequence());
    changed_.notify_all();
  }

  /// Reads WatchLogs of every `type` workflow until cancelled.
  void Watch(wf::WorkflowService::Stub& stub, const std::string& type) {
    wf::WatchLogsRequest request;
    request.set_workflow_type(type);
    wf::LogEvent event;
    std::unique_ptr<grpc::ClientReader<wf::LogEvent>> reader = stub.WatchLogs(&watch_context_, request);
    while (reader->Read(&event)) {
      int64_t received = NowNanoseconds();
      if (event.kind() == wf::LOG_EVENT_KIND_STEP_LOGGED) {
        const std::string& text = event.step().message();
        const std::string prefix = "sent_ns=";
        if (text.rfind(prefix, 0) != 0) Fail("a step without the send time: " + text);
        int64_t sent = std::strtoll(text.c_str() + prefix.size(), nullptr, 10);
        std::lock_guard<std::mutex> lock(mu_);
        progress_[event.workflow_id()].step_latency_ns = received - sent;
        changed_.notify_all();
      } else if (event.kind() == wf::LOG_EVENT_KIND_WORKFLOW_COMPLETED) {
        std::lock_guard<std::mutex> lock(mu_);
        progress_[event.workflow_id()].completed = true;
        changed_.notify_all();
      } else if (event.kind() == wf::LOG_EVENT_KIND_WORKFLOW_FAILED ||
                 event.kind() == wf::LOG_EVENT_KIND_WORKFLOW_CANCELLED) {
        Fail("workflow " + event.workflow_id() + " ended " + wf::LogEventKind_Name(event.kind()) + ": " + event.error());
      }
    }
    grpc::Status status = reader->Finish();
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) Fail("WatchLogs ended: " + Describe(status));
  }

  int Run(const std::string& target, const std::string& type, const std::string& queue, int samples, int warmup) {
    auto workers = OpenWorkers(target, 1, queue, 1, *this);
    WorkerStream& worker = *workers[0];
    Heartbeats heartbeats({&worker}, std::chrono::milliseconds(500));
    auto stub = wf::WorkflowService::NewStub(Connect(target, 1000000));
    std::thread watcher([this, &stub, type] { Watch(*stub, type); });

    std::vector<int64_t> step_latencies, ack_latencies, cycle_times;
    for (int index = 0; index < warmup + samples; ++index) {
      SetProgress("sample " + std::to_string(index + 1) + " of " + std::to_string(warmup + samples));
      Clock::time_point cycle_start = Clock::now();
      std::string id = Start(*stub, type);
      wf::LeaseToken lease;
      Await("its assignment", id, [&] {
        auto found = assignments_.find(id);
        if (found == assignments_.end()) return false;
        lease = found->second;
        return true;
      });

      wf::WorkerMessage step;
      wf::JobReport* report = step.mutable_report();
      *report->mutable_lease() = lease;
      report->set_sequence(1);
      int64_t sent = NowNanoseconds();
      report->add_updates()->mutable_step()->set_message("sent_ns=" + std::to_string(sent));
      worker.Send(std::move(step));
      Progress seen;
      Await("its step on the watcher and the ack of report 1", id, [&] {
        const Progress& progress = progress_[id];
        seen = progress;
        return progress.step_latency_ns >= 0 && progress.acked >= 1;
      });

      wf::WorkerMessage end;
      report = end.mutable_report();
      *report->mutable_lease() = lease;
      report->set_sequence(2);
      (*report->mutable_counters())["itemsProcessed"] = 1;
      report->mutable_completed();
      worker.Send(std::move(end));
      Await("the ack of report 2 and WORKFLOW_COMPLETED", id, [&] {
        const Progress& progress = progress_[id];
        return progress.acked >= 2 && progress.completed;
      });
      {
        std::lock_guard<std::mutex> lock(mu_);
        assignments_.erase(id);
        progress_.erase(id);
      }
      if (index >= warmup) {
        step_latencies.push_back(seen.step_latency_ns);
        ack_latencies.push_back(seen.first_ack_ns - sent);
        cycle_times.push_back((Clock::now() - cycle_start).count());
      }
    }

    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    watch_context_.TryCancel();
    watcher.join();
    heartbeats.Stop();
    CloseWorkers(workers);
    if (worker.refusals > 0) Fail("refused report: " + worker.FirstRefusal());
    if (worker.cancellations > 0) Fail("the server cancelled a lease: " + worker.FirstCancellation());
    std::printf("samples=%d warmup_samples=%d\n", samples, warmup);
    PrintLatencies("step_to_watcher", step_latencies);
    PrintLatencies("report_to_ack", ack_latencies);
    PrintLatencies("workflow_cycle", cycle_times);
    // Calls the server should count OK: every StartWorkflow and the Connect stream (the
    // cancelled WatchLogs is CANCELLED or not counted).
    std::printf("calls_ok=%d calls_cancelled=1\n", warmup + samples + 1);
    return 0;
  }

 private:
  struct Progress {
    int64_t step_latency_ns = -1;
    int64_t first_ack_ns = 0;
    uint64_t acked = 0;
    bool completed = false;
  };

  template <typename Predicate>
  void Await(const std::string& what, const std::string& id, Predicate ready) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!changed_.wait_for(lock, std::chrono::seconds(30), ready)) {
      Fail("workflow " + id + ": no " + what + " within 30 s");
    }
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::unordered_map<std::string, wf::LeaseToken> assignments_;
  std::unordered_map<std::string, Progress> progress_;
  bool stopping_ = false;
  grpc::ClientContext watch_context_;
};

int Latency(const Arguments& arguments) {
  if (arguments.positional.size() != 2) Fail("usage: latency TARGET [--samples K] [--warmup-samples M] ...");
  arguments.RequireOnly({"samples", "warmup-samples", "type", "queue"});
  LatencyProbe probe;
  return probe.Run(arguments.positional[1], arguments.Text("type", "REMOTE_STEP"), arguments.Text("queue", "latency"),
                   arguments.Count("samples", 2000), int(arguments.Number("warmup-samples", 100)));
}

}  // namespace

int main(int argc, char** argv) {
  bench::program = "load_worker";
  Arguments arguments = Arguments::Parse(argc, argv);
  if (arguments.positional.empty()) Fail("usage: load_worker throughput|latency TARGET ... [--timeout-seconds S]");
  ArmTimeout(arguments.Number("timeout-seconds", 600));
  const std::string& command = arguments.positional[0];
  int result;
  if (command == "throughput") result = Throughput(arguments);
  else if (command == "latency") result = Latency(arguments);
  else Fail("unknown command " + command);
  std::fflush(stdout);
  // Channels and gRPC's threads may still be winding down: leave without unwinding them.
  std::_Exit(result);
}
