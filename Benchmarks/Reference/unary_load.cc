// unary_load: h2load for gRPC unary calls whose requests differ, for the side-by-side
// benchmarks (issue 17), used against workflowd and the reference server alike.
//
//   unary_load TARGET PATH BODIES [--calls 100000] [--connections 4] [--in-flight 32]
//                                 [--timeout-seconds 300]
//
// BODIES holds gRPC-framed request messages back to back (`bench_client prepare-distinct`
// writes them); call i sends message i mod their count, so no two calls in a row ask the same.
// PATH is the method, e.g. /workflow.v1.WorkflowService/GetWorkflow. Every answer must be HTTP
// 200 with grpc-status 0 and one message whose first field is the request's first field (the
// workflow id a GetWorkflow answer starts with). Prints ready=1 once every connection has
// answered one call (the driver reads the server's CPU time from then on), then calls= seconds=
// calls_per_second=; any failure exits 1 with one line on stderr.
//
// Why not bench_client: one core of gRPC C++'s client runs out at about 55,000 calls/s, which
// capped the distinct-GetWorkflow ratio whatever the server did. Like h2load, this is one thread
// on libnghttp2 and costs about 1.4 µs per call, so the server is what is measured. It makes no
// gRPC call; bench_support.h, which it shares for the command line, brings gRPC's headers.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"

namespace {

using bench::Arguments;
using bench::ArmTimeout;
using bench::Clock;
using bench::Fail;
using bench::SecondsBetween;

/// The request messages, each with its 5-byte gRPC prefix, and the first field each answer must
/// start with.
struct Bodies {
  std::vector<std::string> framed;
  std::vector<std::string> firstFields;

  static Bodies Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) Fail("cannot read " + path);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Bodies bodies;
    size_t offset = 0;
    while (offset < all.size()) {
      if (all.size() - offset < 5) Fail(path + ": a message prefix is cut short");
      const auto* prefix = reinterpret_cast<const unsigned char*>(all.data() + offset);
      size_t length = size_t(prefix[1]) << 24 | size_t(prefix[2]) << 16 | size_t(prefix[3]) << 8 | prefix[4];
      if (prefix[0] != 0 || all.size() - offset - 5 < length) Fail(path + ": a message is compressed or cut short");
      std::string message = all.substr(offset + 5, length);
      bodies.framed.push_back(all.substr(offset, 5 + length));
      bodies.firstFields.push_back(FirstField(message));
      if (bodies.firstFields.back().empty()) Fail(path + ": a request does not start with a length-delimited field 1");
      offset += 5 + length;
    }
    if (bodies.framed.empty()) Fail(path + " holds no message");
    return bodies;
  }

  /// The tag, length and bytes of `message`'s first field when it is field 1, length-delimited
  /// with a one-byte length (ids are short); empty otherwise.
  static std::string FirstField(const std::string& message) {
    if (message.size() < 2 || message[0] != 0x0a) return "";
    size_t length = static_cast<unsigned char>(message[1]);
    if (length >= 0x80 || message.size() < 2 + length) return "";
    return message.substr(0, 2 + length);
  }
};

class Load;

/// One call in flight: what was sent, and what came back.
struct Call {
  size_t body = 0;
  size_t sent = 0;
  int httpStatus = 0;
  std::string grpcStatus;
  std::string grpcMessage;
  std::string response;
};

/// One TCP connection and its HTTP/2 client session.
struct Connection {
  Load* load = nullptr;
  int fd = -1;
  nghttp2_session* session = nullptr;
  std::string authority;
  int inFlight = 0;
  /// What one flush writes.
  std::string output;
};

class Load {
 public:
  Load(const Bodies& bodies, std::string path, uint64_t calls, int inFlight)
      : bodies_(bodies), path_(std::move(path)), calls_(calls), inFlight_(inFlight) {}

  /// Opens `count` connections to `host`:`port` and answers one call on each.
  void Connect(const std::string& host, const std::string& port, int count) {
    epoll_ = epoll_create1(0);
    if (epoll_ < 0) Fail(std::string("epoll_create1: ") + std::strerror(errno));
    for (int index = 0; index < count; ++index) {
      auto connection = std::make_unique<Connection>();
      connection->load = this;
      connection->authority = host + ":" + port;
      connection->fd = OpenSocket(host, port);
      OpenSession(*connection);
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.ptr = connection.get();
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, connection->fd, &event) != 0) Fail(std::string("epoll_ctl: ") + std::strerror(errno));
      connections_.push_back(std::move(connection));
    }
    // Warm-up: one call per connection, not counted; each connection answers its own.
    warming_ = true;
    for (auto& connection : connections_) {
      Submit(*connection);
      Flush(*connection);
    }
    while (warmedUp_ < connections_.size()) Turn();
    warming_ = false;
  }

  /// Keeps `inFlight` calls on every connection until `calls` have been answered.
  double Run() {
    Clock::time_point start = Clock::now();
    for (auto& connection : connections_) {
      while (connection->inFlight < inFlight_ && issued_ < calls_) Submit(*connection);
      Flush(*connection);
    }
    while (answered_ < calls_) Turn();
    return SecondsBetween(start, Clock::now());
  }

 private:
  static int OpenSocket(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) Fail("cannot resolve " + host);
    int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    if (fd < 0 || connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
      Fail("cannot connect to " + host + ":" + port + ": " + std::strerror(errno));
    }
    freeaddrinfo(found);
    int one = 1;
    int flags = fcntl(fd, F_GETFL);
    // Each returns -1 with errno set on failure.
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 || flags < 0 ||
        fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      Fail(std::string("cannot set up the socket: ") + std::strerror(errno));
    }
    return fd;
  }

  static void OpenSession(Connection& connection) {
    nghttp2_session_callbacks* callbacks = nullptr;
    // 0, or NGHTTP2_ERR_NOMEM.
    if (nghttp2_session_callbacks_new(&callbacks) != 0) Fail("nghttp2_session_callbacks_new failed");
    nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnStreamClose);
    if (nghttp2_session_client_new(&connection.session, callbacks, &connection) != 0) Fail("nghttp2_session_client_new failed");
    nghttp2_session_callbacks_del(callbacks);
    // Windows of 2^30 - 1 bytes, h2load's default: flow control never stalls a call. Each
    // returns 0, or a negative NGHTTP2_ERR_* (no memory, an invalid argument).
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (1u << 30) - 1}};
    if (nghttp2_submit_settings(connection.session, NGHTTP2_FLAG_NONE, settings, 1) != 0 ||
        nghttp2_session_set_local_window_size(connection.session, NGHTTP2_FLAG_NONE, 0, (1 << 30) - 1) != 0) {
      Fail("cannot set the HTTP/2 windows");
    }
  }

  void Submit(Connection& connection) {
    auto* call = new Call;
    call->body = size_t(issued_ % bodies_.framed.size());
    if (!warming_) issued_ += 1;
    const nghttp2_nv headers[] = {
        Header(":method", "POST"), Header(":scheme", "http"), Header(":path", path_.data(), path_.size()),
        Header(":authority", connection.authority.data(), connection.authority.size()),
        Header("content-type", "application/grpc"), Header("te", "trailers")};
    nghttp2_data_provider body{};
    body.read_callback = ReadBody;
    if (nghttp2_submit_request(connection.session, nullptr, headers, std::size(headers), &body, call) < 0) {
      Fail("nghttp2_submit_request failed");
    }
    connection.inFlight += 1;
  }

  /// A header naming `value`'s bytes, which must outlive the submit (nghttp2 copies them).
  static nghttp2_nv Header(const char* name, const char* value, size_t length) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value)), std::strlen(name), length,
                      NGHTTP2_NV_FLAG_NONE};
  }

  static nghttp2_nv Header(const char* name, const char* value) { return Header(name, value, std::strlen(value)); }

  /// Waits for sockets that can be read, reads them, and answers what they brought.
  void Turn() {
    epoll_event events[64];
    int ready = epoll_wait(epoll_, events, 64, 1000);
    if (ready < 0 && errno != EINTR) Fail(std::string("epoll_wait: ") + std::strerror(errno));
    for (int index = 0; index < ready; ++index) {
      auto& connection = *static_cast<Connection*>(events[index].data.ptr);
      uint8_t buffer[65536];
      while (true) {
        ssize_t count = read(connection.fd, buffer, sizeof buffer);
        if (count > 0) {
          if (nghttp2_session_mem_recv(connection.session, buffer, size_t(count)) < 0) Fail("the server broke HTTP/2");
          // A short read drained the socket; epoll says when more comes.
          if (size_t(count) < sizeof buffer) break;
          continue;
        }
        if (count == 0) Fail("the server closed a connection");
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno != EINTR) Fail(std::string("read: ") + std::strerror(errno));
      }
      Flush(connection);
    }
  }

  /// Writes everything the session has to send in one system call where the socket takes it
  /// (nghttp2 hands it over a frame at a time); a full socket buffer is waited out, as the
  /// server keeps reading.
  static void Flush(Connection& connection) {
    std::string& out = connection.output;
    out.clear();
    while (true) {
      const uint8_t* data = nullptr;
      ssize_t length = nghttp2_session_mem_send(connection.session, &data);
      if (length < 0) Fail("nghttp2_session_mem_send failed");
      if (length == 0) break;
      out.append(reinterpret_cast<const char*>(data), size_t(length));
    }
    size_t written = 0;
    while (written < out.size()) {
      ssize_t count = write(connection.fd, out.data() + written, out.size() - written);
      if (count > 0) {
        written += size_t(count);
      } else if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd writable{connection.fd, POLLOUT, 0};
        poll(&writable, 1, 1000);
      } else if (errno != EINTR) {
        Fail(std::string("write: ") + std::strerror(errno));
      }
    }
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t stream, uint8_t* out, size_t capacity, uint32_t* flags,
                          nghttp2_data_source*, void* user) {
    auto& connection = *static_cast<Connection*>(user);
    auto* call = static_cast<Call*>(nghttp2_session_get_stream_user_data(session, stream));
    const std::string& body = connection.load->bodies_.framed[call->body];
    size_t count = std::min(capacity, body.size() - call->sent);
    std::memcpy(out, body.data() + call->sent, count);
    call->sent += count;
    if (call->sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return ssize_t(count);
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name, size_t nameLength,
                      const uint8_t* value, size_t valueLength, uint8_t, void*) {
    auto* call = static_cast<Call*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
    if (call == nullptr) return 0;
    std::string key(reinterpret_cast<const char*>(name), nameLength);
    std::string text(reinterpret_cast<const char*>(value), valueLength);
    if (key == ":status") call->httpStatus = std::atoi(text.c_str());
    else if (key == "grpc-status") call->grpcStatus = text;
    else if (key == "grpc-message") call->grpcMessage = text;
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t stream, const uint8_t* data, size_t length, void*) {
    auto* call = static_cast<Call*>(nghttp2_session_get_stream_user_data(session, stream));
    if (call != nullptr) call->response.append(reinterpret_cast<const char*>(data), length);
    return 0;
  }

  static int OnStreamClose(nghttp2_session* session, int32_t stream, uint32_t errorCode, void* user) {
    auto& connection = *static_cast<Connection*>(user);
    std::unique_ptr<Call> call(static_cast<Call*>(nghttp2_session_get_stream_user_data(session, stream)));
    if (!call) return 0;
    connection.load->Answered(connection, *call, errorCode);
    return 0;
  }

  void Answered(Connection& connection, const Call& call, uint32_t errorCode) {
    if (errorCode != NGHTTP2_NO_ERROR) Fail("a stream was reset with HTTP/2 error " + std::to_string(errorCode));
    if (call.httpStatus != 200) Fail("HTTP status " + std::to_string(call.httpStatus));
    if (call.grpcStatus != "0") Fail("grpc-status " + call.grpcStatus + ": " + call.grpcMessage);
    const std::string& response = call.response;
    size_t length = response.size() < 5 ? 0
        : size_t(uint8_t(response[1])) << 24 | size_t(uint8_t(response[2])) << 16 | size_t(uint8_t(response[3])) << 8 | uint8_t(response[4]);
    if (response.size() < 5 || response[0] != 0 || response.size() != 5 + length) Fail("an answer is not one uncompressed message");
    const std::string& expected = bodies_.firstFields[call.body];
    if (response.compare(5, expected.size(), expected) != 0) Fail("an answer is not about the workflow asked for");
    connection.inFlight -= 1;
    if (warming_) {
      warmedUp_ += 1;
      return;
    }
    answered_ += 1;
    if (issued_ < calls_) Submit(connection);
  }

  const Bodies& bodies_;
  const std::string path_;
  const uint64_t calls_;
  const int inFlight_;
  int epoll_ = -1;
  std::vector<std::unique_ptr<Connection>> connections_;
  bool warming_ = false;
  size_t warmedUp_ = 0;
  uint64_t issued_ = 0;
  uint64_t answered_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  bench::program = "unary_load";
  Arguments arguments = Arguments::Parse(argc, argv);
  if (arguments.positional.size() != 3) {
    Fail("usage: unary_load TARGET PATH BODIES [--calls N] [--connections N] [--in-flight N] [--timeout-seconds S]");
  }
  arguments.RequireOnly({"calls", "connections", "in-flight"});
  ArmTimeout(arguments.Number("timeout-seconds", 300));
  const std::string& target = arguments.positional[0];
  size_t colon = target.rfind(':');
  if (colon == std::string::npos) Fail("TARGET must be host:port");
  Bodies bodies = Bodies::Read(arguments.positional[2]);
  uint64_t calls = uint64_t(arguments.Count("calls", 100000));
  Load load(bodies, arguments.positional[1], calls, arguments.Count("in-flight", 32));
  bench::SetProgress("connecting");
  load.Connect(target.substr(0, colon), target.substr(colon + 1), arguments.Count("connections", 4));
  std::printf("ready=1 messages=%zu\n", bodies.framed.size());
  std::fflush(stdout);
  // The driver reads the server's CPU time once it sees ready=1: let it, before the calls.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  bench::SetProgress("calling");
  double seconds = load.Run();
  std::printf("calls=%llu seconds=%.3f calls_per_second=%.0f\n", (unsigned long long)calls, seconds, double(calls) / seconds);
  std::fflush(stdout);
  std::_Exit(0);
}
