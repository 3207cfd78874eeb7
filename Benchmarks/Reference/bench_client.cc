// bench_client: one C++ gRPC client for the side-by-side benchmarks of issue 7, used against
// workflowd and the reference server alike.
//
//   bench_client encode-start OUT [k=v ...]    gRPC-framed StartWorkflowRequest{TEST, params} (h2load -d)
//   bench_client encode-get OUT WORKFLOW_ID    gRPC-framed GetWorkflowRequest
//   bench_client encode-watch OUT WORKFLOW_ID  gRPC-framed WatchLogsRequest
//   bench_client start TARGET [k=v ...]        starts a TEST workflow: workflow_id=...
//   bench_client wait TARGET ID                watches it to its end: status=COMPLETED|FAILED|CANCELLED
//   bench_client watch TARGET ID               replays a finished workflow: events= seconds= events_per_second=
//   bench_client fanout TARGET [--streams 1000] [--connections 10] [--steps 48]
//   bench_client idle TARGET [--streams 10000] [--connections 100] [--hold-seconds 10]
//   bench_client get-distinct TARGET [--workflows 4096] [--calls 100000] [--connections 4] [--in-flight 32]
//                                              starts that many finished TEST workflows (3 jobs x 3
//                                              steps), then GetWorkflow round-robin over all of them
//                                              (no two calls in a row read the same one), each answer
//                                              checked: ready=1 once they ended and the connections
//                                              are open, then calls= seconds= calls_per_second=
//   bench_client prepare-distinct TARGET OUT [--workflows 4096]
//                                              starts the same workflows as get-distinct and writes
//                                              their gRPC-framed GetWorkflowRequests to OUT, back to
//                                              back, for unary_load: path= workflows=
//   bench_client first-event TARGET AFTER_SEQUENCE [WORKFLOW_ID]
//                                              on a connected channel, the time from opening WatchLogs
//                                              to its first event: ms= sequence=
//   every command also takes --timeout-seconds S (default 300): past it, the client fails.
//
// TARGET is host:port. Output is key=value lines on stdout; any failure (a non-OK status, a
// wrong count, the timeout) exits 1 with one line on stderr.
//
// fanout and idle open WatchLogs streams of every workflow (live_only) with the callback API
// (ClientReadReactor), spread round-robin over distinct channels, each its own TCP connection.
// They prove every stream is established by starting sentinel TEST workflows (jobs=1 steps=0)
// until one sentinel's WORKFLOW_COMPLETED reached every stream.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
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

// MARK: - Arguments

using Arguments = bench::Arguments;

/// TEST parameters from k=v words.
google::protobuf::Map<std::string, std::string> Params(const std::vector<std::string>& words, size_t from) {
  google::protobuf::Map<std::string, std::string> params;
  for (size_t index = from; index < words.size(); ++index) {
    size_t equals = words[index].find('=');
    if (equals == std::string::npos || equals == 0) Fail("parameter \"" + words[index] + "\" is not key=value");
    params[words[index].substr(0, equals)] = words[index].substr(equals + 1);
  }
  return params;
}

// MARK: - Channels and plain calls

// With BENCH_TLS_CA naming a PEM file of certificate authorities, channels speak TLS (the server
// certificate must name 127.0.0.1); plaintext otherwise.
std::shared_ptr<grpc::ChannelCredentials> Credentials() {
  const char* authorities_path = std::getenv("BENCH_TLS_CA");
  if (authorities_path == nullptr || *authorities_path == 0) return grpc::InsecureChannelCredentials();
  std::ifstream file(authorities_path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "bench_client: cannot read BENCH_TLS_CA=%s\n", authorities_path);
    std::exit(66);  // EX_NOINPUT
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> Connect(const std::string& target, int connection_index = -1) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  if (connection_index >= 0) {
    // A channel of its own with its own subchannel: its own TCP connection.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetInt("bench_client.connection", connection_index);
  }
  return grpc::CreateCustomChannel(target, Credentials(), arguments);
}

void SetDeadline(grpc::ClientContext& context, double seconds) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(int64_t(seconds * 1000)));
}

std::string StartWorkflow(wf::WorkflowService::Stub& stub, const google::protobuf::Map<std::string, std::string>& params) {
  wf::StartWorkflowRequest request;
  request.set_type("TEST");
  *request.mutable_params() = params;
  wf::StartWorkflowResponse response;
  grpc::ClientContext context;
  SetDeadline(context, 30);
  grpc::Status status = stub.StartWorkflow(&context, request, &response);
  if (!status.ok()) Fail("StartWorkflow: " + Describe(status));
  return response.workflow_id();
}

bool IsTerminal(const wf::LogEvent& event) {
  return event.kind() == wf::LOG_EVENT_KIND_WORKFLOW_COMPLETED || event.kind() == wf::LOG_EVENT_KIND_WORKFLOW_FAILED ||
         event.kind() == wf::LOG_EVENT_KIND_WORKFLOW_CANCELLED;
}

/// Folds one event's identity into a running digest of a stream, to compare streams' order.
uint64_t Mix(uint64_t digest, const wf::LogEvent& event) {
  uint64_t value = event.sequence() * 0x9E3779B97F4A7C15ull ^ uint64_t(event.kind()) << 56 ^ uint64_t(event.level()) << 48;
  digest ^= value + 0x9E3779B97F4A7C15ull + (digest << 6) + (digest >> 2);
  return digest;
}

/// One WatchLogs read to its end (sync API).
struct Replay {
  uint64_t events = 0;
  uint64_t digest = 0;
  wf::WorkflowStatus terminal_status = wf::WORKFLOW_STATUS_UNSPECIFIED;
  double seconds = 0;
};

Replay WatchToEnd(wf::WorkflowService::Stub& stub, const std::string& id, wf::LogLevel min_level) {
  wf::WatchLogsRequest request;
  request.set_workflow_id(id);
  request.set_min_level(min_level);
  grpc::ClientContext context;
  Replay replay;
  wf::LogEvent event;
  uint64_t last_sequence = 0;
  SetProgress("reading WatchLogs of " + id);
  Clock::time_point start = Clock::now();
  std::unique_ptr<grpc::ClientReader<wf::LogEvent>> reader = stub.WatchLogs(&context, request);
  while (reader->Read(&event)) {
    if (event.sequence() <= last_sequence) {
      Fail("WatchLogs: sequence " + std::to_string(event.sequence()) + " after " + std::to_string(last_sequence));
    }
    last_sequence = event.sequence();
    replay.events += 1;
    replay.digest = Mix(replay.digest, event);
    if (IsTerminal(event) && event.workflow_id() == id) replay.terminal_status = event.workflow_status();
  }
  grpc::Status status = reader->Finish();
  replay.seconds = SecondsBetween(start, Clock::now());
  if (!status.ok()) Fail("WatchLogs: " + Describe(status));
  return replay;
}

// MARK: - Many streams (fanout, idle)

/// What every stream reports to the main thread.
struct Board {
  struct Arrival {
    uint64_t events;               // events of the workflow this stream received
    uint64_t digest;               // their identity, in order
    Clock::time_point at;          // when its terminal event arrived
  };

  std::mutex mu;
  std::condition_variable changed;
  /// Per workflow id: one entry per stream that received its terminal event.
  std::unordered_map<std::string, std::vector<Arrival>> arrivals;
  /// Streams that received any terminal event: they were open when that workflow ended (only
  /// this client's workflows run, so any terminal event proves the stream is live).
  int established = 0;
  Clock::time_point last_arrival = Clock::now();
  int ended = 0;                   // streams whose OnDone ran
  bool cancelling = false;         // the main thread is cancelling every stream
  std::string early_end;           // the status of a stream that ended by itself
};

/// One WatchLogs of every workflow, live only. Owned by the main thread's vector; gRPC calls
/// OnReadDone for one read at a time, so the per-workflow tallies need no lock.
class WatchStream : public grpc::ClientReadReactor<wf::LogEvent> {
 public:
  explicit WatchStream(Board& board) : board_(board) {}

  void Begin(wf::WorkflowService::Stub& stub) {
    request_.set_live_only(true);
    context_.set_wait_for_ready(true);
    stub.async()->WatchLogs(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    if (event_.sequence() <= last_sequence_) {
      std::lock_guard<std::mutex> lock(board_.mu);
      board_.early_end = "sequence " + std::to_string(event_.sequence()) + " after " + std::to_string(last_sequence_);
      board_.changed.notify_all();
    }
    last_sequence_ = event_.sequence();
    Tally& tally = tallies_[event_.workflow_id()];
    tally.events += 1;
    tally.digest = Mix(tally.digest, event_);
    if (IsTerminal(event_)) {
      Board::Arrival arrival{tally.events, tally.digest, Clock::now()};
      std::lock_guard<std::mutex> lock(board_.mu);
      board_.arrivals[event_.workflow_id()].push_back(arrival);
      board_.last_arrival = arrival.at;
      if (!established_) {
        established_ = true;
        board_.established += 1;
      }
      board_.changed.notify_all();
    }
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(board_.mu);
    board_.ended += 1;
    if (!board_.cancelling && board_.early_end.empty()) board_.early_end = "a stream ended: " + Describe(status);
    board_.changed.notify_all();
  }

 private:
  struct Tally {
    uint64_t events = 0;
    uint64_t digest = 0;
  };

  Board& board_;
  grpc::ClientContext context_;
  wf::WatchLogsRequest request_;
  wf::LogEvent event_;
  uint64_t last_sequence_ = 0;
  bool established_ = false;
  std::unordered_map<std::string, Tally> tallies_;
};

/// Many streams over many connections, and the sentinel handshake that proves them open.
class StreamSet {
 public:
  StreamSet(const std::string& target, int streams, int connections)
      : control_(wf::WorkflowService::NewStub(Connect(target))) {
    if (streams < 1 || connections < 1) Fail("--streams and --connections must be at least 1");
    for (int index = 0; index < connections; ++index) {
      stubs_.push_back(wf::WorkflowService::NewStub(Connect(target, index)));
    }
    for (int index = 0; index < streams; ++index) {
      streams_.push_back(std::make_unique<WatchStream>(board_));
      streams_.back()->Begin(*stubs_[index % connections]);
    }
  }

  wf::WorkflowService::Stub& control() { return *control_; }
  int size() const { return int(streams_.size()); }

  /// Starts sentinel workflows until every stream received the WORKFLOW_COMPLETED of one of
  /// them (then, if it took several, one more as a barrier so that no stream is still behind).
  /// Returns how many sentinels it took.
  ///
  /// A stream opened after a sentinel ended never sees it, so another sentinel is started, but
  /// only once no terminal event arrived for a second: a slow server still delivering the
  /// earlier ones must not be fed more work than it can deliver.
  int Establish() {
    google::protobuf::Map<std::string, std::string> sentinel;
    sentinel["jobs"] = "1";
    sentinel["steps"] = "0";
    sentinel["step_delay_ms"] = "0";
    const auto quiet = std::chrono::seconds(1);
    int sentinels = 0;
    while (true) {
      StartWorkflow(*control_, sentinel);
      sentinels += 1;
      Clock::time_point started = Clock::now();
      std::unique_lock<std::mutex> lock(board_.mu);
      while (true) {
        board_.changed.wait_for(lock, std::chrono::milliseconds(200));
        if (!board_.early_end.empty()) Fail(board_.early_end);
        SetProgress("establishing streams: " + std::to_string(board_.established) + " of " + std::to_string(size()) +
                    " received a sentinel (" + std::to_string(sentinels) + " started)");
        if (board_.established == size()) break;
        Clock::time_point now = Clock::now();
        if (now - started >= quiet && now - board_.last_arrival >= quiet) break;
      }
      if (board_.established == size()) break;
    }
    if (sentinels > 1) {
      // Earlier sentinels may still be on their way to some streams. Every stream is open now,
      // so each receives one more sentinel, after everything before it: a barrier.
      std::string barrier = StartWorkflow(*control_, sentinel);
      sentinels += 1;
      while (!WaitForAll(barrier, std::chrono::seconds(1))) {
      }
    }
    return sentinels;
  }

  /// Waits until every stream received the terminal event of workflow `id`; false after `patience`.
  bool WaitForAll(const std::string& id, Clock::duration patience) {
    std::unique_lock<std::mutex> lock(board_.mu);
    bool all = board_.changed.wait_for(lock, patience, [&] {
      if (!board_.early_end.empty()) Fail(board_.early_end);
      return int(board_.arrivals[id].size()) == size();
    });
    SetProgress("waiting for workflow " + id + ": " + std::to_string(board_.arrivals[id].size()) + " of " +
                std::to_string(size()) + " streams received its terminal event");
    return all;
  }

  std::vector<Board::Arrival> ArrivalsOf(const std::string& id) {
    std::lock_guard<std::mutex> lock(board_.mu);
    return board_.arrivals[id];
  }

  /// Streams that have not ended.
  int StillOpen() {
    std::lock_guard<std::mutex> lock(board_.mu);
    if (!board_.early_end.empty()) Fail(board_.early_end);
    return size() - board_.ended;
  }

  /// Cancels every stream and waits until gRPC is done with all of them.
  void CancelAll() {
    {
      std::lock_guard<std::mutex> lock(board_.mu);
      board_.cancelling = true;
    }
    for (auto& stream : streams_) stream->Cancel();
    std::unique_lock<std::mutex> lock(board_.mu);
    board_.changed.wait(lock, [&] { return board_.ended == size(); });
  }

 private:
  Board board_;
  std::unique_ptr<wf::WorkflowService::Stub> control_;
  std::vector<std::unique_ptr<wf::WorkflowService::Stub>> stubs_;
  std::vector<std::unique_ptr<WatchStream>> streams_;
};

// MARK: - Commands

/// `message` behind gRPC's 5-byte prefix (uncompressed, its length).
std::string Framed(const google::protobuf::Message& message) {
  std::string bytes = message.SerializeAsString();
  uint32_t length = uint32_t(bytes.size());
  char header[5] = {0, char(length >> 24), char(length >> 16), char(length >> 8), char(length)};
  return std::string(header, 5) + bytes;
}

void WriteFramed(const std::string& path, const google::protobuf::Message& message) {
  std::string framed = Framed(message);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << framed;
  out.close();
  if (!out) Fail("cannot write " + path);
  std::printf("path=%s bytes=%zu\n", path.c_str(), framed.size());
}

int EncodeStart(const Arguments& arguments) {
  if (arguments.positional.size() < 2) Fail("usage: encode-start OUT [k=v ...]");
  wf::StartWorkflowRequest request;
  request.set_type("TEST");
  *request.mutable_params() = Params(arguments.positional, 2);
  WriteFramed(arguments.positional[1], request);
  return 0;
}

int EncodeGet(const Arguments& arguments) {
  if (arguments.positional.size() != 3) Fail("usage: encode-get OUT WORKFLOW_ID");
  wf::GetWorkflowRequest request;
  request.set_workflow_id(arguments.positional[2]);
  WriteFramed(arguments.positional[1], request);
  return 0;
}

int EncodeWatch(const Arguments& arguments) {
  if (arguments.positional.size() != 3) Fail("usage: encode-watch OUT WORKFLOW_ID");
  wf::WatchLogsRequest request;
  request.set_workflow_id(arguments.positional[2]);
  WriteFramed(arguments.positional[1], request);
  return 0;
}

int Start(const Arguments& arguments) {
  if (arguments.positional.size() < 2) Fail("usage: start TARGET [k=v ...]");
  auto stub = wf::WorkflowService::NewStub(Connect(arguments.positional[1]));
  std::string id = StartWorkflow(*stub, Params(arguments.positional, 2));
  std::printf("workflow_id=%s\n", id.c_str());
  return 0;
}

int Wait(const Arguments& arguments) {
  if (arguments.positional.size() != 3) Fail("usage: wait TARGET WORKFLOW_ID");
  auto stub = wf::WorkflowService::NewStub(Connect(arguments.positional[1]));
  const std::string& id = arguments.positional[2];
  Replay replay = WatchToEnd(*stub, id, wf::LOG_LEVEL_ERROR);
  wf::WorkflowStatus status = replay.terminal_status;
  if (status == wf::WORKFLOW_STATUS_UNSPECIFIED) {
    // Its terminal event is no longer retained: ask for the workflow.
    wf::GetWorkflowRequest request;
    request.set_workflow_id(id);
    wf::Workflow workflow;
    grpc::ClientContext context;
    SetDeadline(context, 60);
    grpc::Status answer = stub->GetWorkflow(&context, request, &workflow);
    if (!answer.ok()) Fail("GetWorkflow: " + Describe(answer));
    status = workflow.status();
  }
  std::string name = wf::WorkflowStatus_Name(status);
  const std::string prefix = "WORKFLOW_STATUS_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  std::printf("status=%s\n", name.c_str());
  return 0;
}

int Watch(const Arguments& arguments) {
  if (arguments.positional.size() != 3) Fail("usage: watch TARGET WORKFLOW_ID");
  auto stub = wf::WorkflowService::NewStub(Connect(arguments.positional[1]));
  Replay replay = WatchToEnd(*stub, arguments.positional[2], wf::LOG_LEVEL_UNSPECIFIED);
  if (replay.terminal_status == wf::WORKFLOW_STATUS_UNSPECIFIED) Fail("WatchLogs ended without the terminal event");
  std::printf("events=%llu seconds=%.6f events_per_second=%.0f\n", (unsigned long long)replay.events, replay.seconds,
              replay.events / replay.seconds);
  return 0;
}

int FirstEvent(const Arguments& arguments) {
  if (arguments.positional.size() != 3 && arguments.positional.size() != 4) {
    Fail("usage: first-event TARGET AFTER_SEQUENCE [WORKFLOW_ID]");
  }
  auto channel = Connect(arguments.positional[1]);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) Fail("cannot connect");
  auto stub = wf::WorkflowService::NewStub(channel);
  wf::WatchLogsRequest request;
  request.set_after_sequence(std::stoull(arguments.positional[2]));
  if (arguments.positional.size() == 4) request.set_workflow_id(arguments.positional[3]);
  grpc::ClientContext context;
  Clock::time_point t0 = Clock::now();
  auto reader = stub->WatchLogs(&context, request);
  wf::LogEvent event;
  if (!reader->Read(&event)) Fail("WatchLogs ended before its first event: " + reader->Finish().error_message());
  double ms = SecondsBetween(t0, Clock::now()) * 1000;
  std::printf("ms=%.3f sequence=%llu\n", ms, (unsigned long long)event.sequence());
  std::fflush(stdout);
  context.TryCancel();
  reader->Finish();
  return 0;
}

int Fanout(const Arguments& arguments) {
  if (arguments.positional.size() != 2) Fail("usage: fanout TARGET [--streams N] [--connections M] [--steps S]");
  arguments.RequireOnly({"streams", "connections", "steps"});
  int streams = int(arguments.Number("streams", 1000));
  int connections = int(arguments.Number("connections", 10));
  int steps = int(arguments.Number("steps", 48));
  StreamSet set(arguments.positional[1], streams, connections);
  int sentinels = set.Establish();

  google::protobuf::Map<std::string, std::string> params;
  params["jobs"] = "1";
  params["steps"] = std::to_string(steps);
  params["step_delay_ms"] = "0";
  Clock::time_point t0 = Clock::now();
  SetProgress("starting the measured workflow");
  std::string id = StartWorkflow(set.control(), params);
  while (!set.WaitForAll(id, std::chrono::seconds(1))) {
  }
  std::vector<Board::Arrival> arrivals = set.ArrivalsOf(id);
  Clock::time_point last = t0;
  for (const auto& arrival : arrivals) last = std::max(last, arrival.at);

  // What the server really emits for that workflow, read from the start.
  Replay emitted = WatchToEnd(set.control(), id, wf::LOG_LEVEL_UNSPECIFIED);
  for (const auto& arrival : arrivals) {
    if (arrival.events != emitted.events) {
      Fail("a stream received " + std::to_string(arrival.events) + " events of the workflow; the server emitted " +
           std::to_string(emitted.events));
    }
    if (arrival.digest != emitted.digest) Fail("a stream received the workflow's events in another order");
  }
  std::printf("streams=%d connections=%d steps=%d events_per_stream=%llu sentinels=%d seconds=%.6f\n", streams,
              connections, steps, (unsigned long long)emitted.events, sentinels, SecondsBetween(t0, last));
  std::fflush(stdout);
  set.CancelAll();
  return 0;
}

int Idle(const Arguments& arguments) {
  if (arguments.positional.size() != 2) Fail("usage: idle TARGET [--streams N] [--connections M] [--hold-seconds S]");
  arguments.RequireOnly({"streams", "connections", "hold-seconds"});
  int streams = int(arguments.Number("streams", 10000));
  int connections = int(arguments.Number("connections", 100));
  double hold = arguments.Number("hold-seconds", 10);
  StreamSet set(arguments.positional[1], streams, connections);
  int sentinels = set.Establish();
  std::printf("ready=1 streams=%d connections=%d sentinels=%d\n", streams, connections, sentinels);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::duration<double>(hold));
  int still_open = set.StillOpen();
  std::printf("still_open=%d\n", still_open);
  std::fflush(stdout);
  if (still_open != streams) Fail(std::to_string(streams - still_open) + " streams closed while idle");
  set.CancelAll();
  return 0;
}

/// GetWorkflow calls kept in flight on one channel with the callback API, each reading the
/// next workflow of a shared round-robin.
class DistinctReads {
 public:
  DistinctReads(const std::vector<std::string>& ids, uint64_t calls) : ids_(ids), calls_(calls) {}

  /// Starts `in_flight` chains of calls on `stub`; each chain issues its next call when one ends.
  void Begin(wf::WorkflowService::Stub& stub, int in_flight) {
    for (int index = 0; index < in_flight; ++index) Next(stub);
  }

  /// Waits until every call ended; fails on the first wrong answer.
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return !failure_.empty() || finished_ == calls_; });
    if (!failure_.empty()) Fail(failure_);
  }

 private:
  struct Call {
    grpc::ClientContext context;
    wf::GetWorkflowRequest request;
    wf::Workflow response;
  };

  void Next(wf::WorkflowService::Stub& stub) {
    uint64_t index = issued_.fetch_add(1);
    if (index >= calls_) return;
    auto call = std::make_shared<Call>();
    call->request.set_workflow_id(ids_[index % ids_.size()]);
    SetDeadline(call->context, 60);
    stub.async()->GetWorkflow(&call->context, &call->request, &call->response, [this, &stub, call](grpc::Status status) mutable {
      std::string problem;
      if (!status.ok()) problem = "GetWorkflow: " + Describe(status);
      else if (call->response.id() != call->request.workflow_id() || call->response.status() != wf::WORKFLOW_STATUS_COMPLETED ||
               call->response.jobs_size() != 3 || call->response.jobs(2).steps_size() != 3) {
        problem = "GetWorkflow of " + call->request.workflow_id() + ": not the finished 3 x 3 workflow";
      }
      Next(stub);
      // Freed before the count that may end Wait(): once the last call is counted, the caller
      // tears the channels down, and a ClientContext freed after that (when this callback
      // returned) raced their teardown ("double free detected" in 1 run of about 20).
      call.reset();
      std::lock_guard<std::mutex> lock(mu_);
      if (!problem.empty() && failure_.empty()) failure_ = problem;
      finished_ += 1;
      if (finished_ == calls_ || !failure_.empty()) done_.notify_all();
    });
  }

  const std::vector<std::string>& ids_;
  const uint64_t calls_;
  std::atomic<uint64_t> issued_{0};
  std::mutex mu_;
  std::condition_variable done_;
  uint64_t finished_ = 0;
  std::string failure_;
};

/// Starts `workflows` finished TEST workflows of 3 jobs x 3 steps and waits until they ended.
std::vector<std::string> StartDistinctWorkflows(const std::string& target, int workflows) {
  auto control = wf::WorkflowService::NewStub(Connect(target));
  google::protobuf::Map<std::string, std::string> params;
  params["jobs"] = "3";
  params["steps"] = "3";
  params["step_delay_ms"] = "0";
  std::vector<std::string> ids;
  for (int index = 0; index < workflows; ++index) {
    SetProgress("starting workflow " + std::to_string(index + 1) + " of " + std::to_string(workflows));
    ids.push_back(StartWorkflow(*control, params));
  }
  // Each ends within milliseconds; the last one's watch ending leaves the earlier ones ended too
  // (a reader that finds one still running fails the run).
  for (const std::string& id : {ids.front(), ids.back()}) {
    if (WatchToEnd(*control, id, wf::LOG_LEVEL_UNSPECIFIED).terminal_status != wf::WORKFLOW_STATUS_COMPLETED) {
      Fail("workflow " + id + " did not complete");
    }
  }
  return ids;
}

int PrepareDistinct(const Arguments& arguments) {
  if (arguments.positional.size() != 3) Fail("usage: prepare-distinct TARGET OUT [--workflows N]");
  arguments.RequireOnly({"workflows"});
  int workflows = arguments.Count("workflows", 4096);
  std::vector<std::string> ids = StartDistinctWorkflows(arguments.positional[1], workflows);
  const std::string& path = arguments.positional[2];
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const std::string& id : ids) {
    wf::GetWorkflowRequest request;
    request.set_workflow_id(id);
    out << Framed(request);
  }
  out.close();
  if (!out) Fail("cannot write " + path);
  std::printf("path=%s workflows=%d\n", path.c_str(), workflows);
  return 0;
}

int GetDistinct(const Arguments& arguments) {
  if (arguments.positional.size() != 2) Fail("usage: get-distinct TARGET [--workflows N] [--calls N] [--connections N] [--in-flight N]");
  arguments.RequireOnly({"workflows", "calls", "connections", "in-flight"});
  const std::string& target = arguments.positional[1];
  int workflows = arguments.Count("workflows", 4096);
  uint64_t calls = uint64_t(arguments.Count("calls", 100000));
  int connections = arguments.Count("connections", 4);
  int in_flight = arguments.Count("in-flight", 32);
  std::vector<std::string> ids = StartDistinctWorkflows(target, workflows);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::vector<std::unique_ptr<wf::WorkflowService::Stub>> stubs;
  for (int index = 0; index < connections; ++index) stubs.push_back(wf::WorkflowService::NewStub(Connect(target, index)));
  for (auto& stub : stubs) {
    // Connected before the clock starts.
    wf::GetWorkflowRequest request;
    request.set_workflow_id(ids.front());
    wf::Workflow response;
    grpc::ClientContext context;
    SetDeadline(context, 30);
    grpc::Status status = stub->GetWorkflow(&context, request, &response);
    if (!status.ok()) Fail("GetWorkflow: " + Describe(status));
  }
  // The driver reads the server's CPU time between this line and the end.
  std::printf("ready=1 workflows=%d\n", workflows);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  SetProgress("reading " + std::to_string(calls) + " workflows");
  DistinctReads reads(ids, calls);
  Clock::time_point start = Clock::now();
  for (auto& stub : stubs) reads.Begin(*stub, in_flight);
  reads.Wait();
  double seconds = SecondsBetween(start, Clock::now());
  std::printf("workflows=%d calls=%llu seconds=%.3f calls_per_second=%.0f\n", workflows, (unsigned long long)calls, seconds,
              double(calls) / seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bench::program = "bench_client";
  Arguments arguments = Arguments::Parse(argc, argv);
  if (arguments.positional.empty()) {
    Fail("usage: bench_client encode-start|encode-get|encode-watch|start|wait|watch|fanout|idle|first-event|get-distinct|prepare-distinct ... "
         "[--timeout-seconds S]");
  }
  ArmTimeout(arguments.Number("timeout-seconds", 300));
  const std::string& command = arguments.positional[0];
  if (command != "fanout" && command != "idle" && command != "get-distinct" && command != "prepare-distinct") arguments.RequireOnly({});
  int result;
  if (command == "encode-start") result = EncodeStart(arguments);
  else if (command == "encode-get") result = EncodeGet(arguments);
  else if (command == "encode-watch") result = EncodeWatch(arguments);
  else if (command == "start") result = Start(arguments);
  else if (command == "wait") result = Wait(arguments);
  else if (command == "watch") result = Watch(arguments);
  else if (command == "fanout") result = Fanout(arguments);
  else if (command == "idle") result = Idle(arguments);
  else if (command == "first-event") result = FirstEvent(arguments);
  else if (command == "get-distinct") result = GetDistinct(arguments);
  else if (command == "prepare-distinct") result = PrepareDistinct(arguments);
  else Fail("unknown command " + command);
  std::fflush(stdout);
  // Without static destructors: gRPC's threads may still be releasing a finished call, and
  // tearing the library down under them crashed a get-distinct run.
  std::_Exit(result);
}
