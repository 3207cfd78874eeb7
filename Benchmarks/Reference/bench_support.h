// What the C++ benchmark programs (bench_client.cc, load_worker.cc, unary_load.cc) share:
// failing the run, naming a gRPC status, a timeout that fails a run that hangs, and durations.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <vector>
#include <mutex>
#include <string>
#include <thread>

namespace bench {

using Clock = std::chrono::steady_clock;

/// The program's name in failure messages; each program sets it first thing in main.
inline const char* program = "bench";

/// Prints `message` and ends the process with status 1.
[[noreturn]] inline void Fail(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", program, message.c_str());
  std::fflush(stderr);
  // Streams and channels may still be busy on gRPC's threads: leave without unwinding them.
  std::_Exit(1);
}

/// "NOT_FOUND: no workflow …".
inline std::string Describe(const grpc::Status& status) {
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  int code = int(status.error_code());
  std::string name = code >= 0 && code < 17 ? kNames[code] : std::to_string(code);
  return name + (status.error_message().empty() ? "" : ": " + status.error_message());
}

/// What the run is doing, for the timeout's message.
inline std::mutex progress_mu;
inline std::string progress = "starting";

inline void SetProgress(std::string text) {
  std::lock_guard<std::mutex> lock(progress_mu);
  progress = std::move(text);
}

/// Fails the whole run once `seconds` have passed, so nothing hangs forever.
inline void ArmTimeout(double seconds) {
  std::thread([seconds] {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    std::string doing;
    {
      std::lock_guard<std::mutex> lock(progress_mu);
      doing = progress;
    }
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", seconds);
    Fail(std::string("timed out after ") + limit + " s (--timeout-seconds) while " + doing);
  }).detach();
}

inline double SecondsBetween(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

/// The command line: positional words, and `--name value` options.
struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // --name value

  static Arguments Parse(int argc, char** argv) {
    Arguments arguments;
    for (int index = 1; index < argc; ++index) {
      std::string argument = argv[index];
      if (argument.rfind("--", 0) == 0) {
        if (index + 1 >= argc) Fail("option " + argument + " needs a value");
        arguments.options[argument.substr(2)] = argv[++index];
      } else {
        arguments.positional.push_back(argument);
      }
    }
    return arguments;
  }

  double Number(const std::string& name, double fallback) const {
    auto found = options.find(name);
    if (found == options.end()) return fallback;
    char* end = nullptr;
    double value = std::strtod(found->second.c_str(), &end);
    if (end == found->second.c_str() || *end != '\0' || value < 0) Fail("--" + name + " needs a non-negative number");
    return value;
  }

  int Count(const std::string& name, int fallback) const {
    double value = Number(name, fallback);
    if (value < 1 || value != double(int(value))) Fail("--" + name + " needs a whole number of at least 1");
    return int(value);
  }

  std::string Text(const std::string& name, const std::string& fallback) const {
    auto found = options.find(name);
    return found == options.end() ? fallback : found->second;
  }

  void RequireOnly(std::initializer_list<const char*> allowed) const {
    for (const auto& [name, value] : options) {
      bool known = name == "timeout-seconds";
      for (const char* candidate : allowed) known = known || name == candidate;
      if (!known) Fail("unknown option --" + name);
    }
  }
};

}  // namespace bench
