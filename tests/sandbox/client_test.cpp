#include "sandbox/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include <gtest/gtest.h>

#include "libgrpo/error.h"
#include "sandbox/server.h"
#include "sandbox_fakes.h"

namespace {

using namespace sandbox_test;
using grpo::sandbox::Client;
using grpo::sandbox::ClientOptions;
using grpo::sandbox::RunResult;
using grpo::sandbox::RunStatus;
using grpo::sandbox::Server;
using grpo::sandbox::ServerOptions;

struct TestServer {
  explicit TestServer(std::string listen = "127.0.0.1:0", int concurrency = 8) {
    ServerOptions o;
    o.listen = std::move(listen);
    o.concurrency = concurrency;
    o.queue_size = 64;
    o.read_timeout = 2s;
    o.drain_timeout = 1s;
    o.log = [](std::string_view) {};
    server = std::make_unique<Server>(o, executor);
    server->start();
  }
  std::shared_ptr<FakeExecutor> executor = std::make_shared<FakeExecutor>();
  std::unique_ptr<Server> server;
};

ClientOptions client_options(std::string endpoint) {
  ClientOptions o;
  o.endpoint = std::move(endpoint);
  o.timeout = 2s;
  o.max_retries = 3;
  o.retry_backoff = 5ms;
  return o;
}

// An address where nothing listens: bound once, then let go.
std::string refused_endpoint() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

std::string ok_result(const std::string& stdout_text) {
  RunResult r;
  r.status = RunStatus::ok;
  r.execution.status = RunStatus::ok;
  r.execution.exit_code = 0;
  r.execution.stdout_text = stdout_text;
  return grpo::sandbox::to_json(r);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(SandboxClient, RunsOverTcpAndAUnixSocket) {
  std::string path = "/tmp/grpo-sandbox-client-test-" + std::to_string(::getpid()) + ".sock";
  for (std::string listen : {std::string("127.0.0.1:0"), "unix:" + path}) {
    TestServer t(listen);
    Client client(client_options(t.server->endpoint()));
    EXPECT_TRUE(client.healthy()) << listen;
    RunResult r = client.submit(python("print(7)")).get();
    EXPECT_EQ(r.status, RunStatus::ok) << r.message;
    EXPECT_EQ(r.execution.stdout_text, "print(7)");
  }
}

TEST(SandboxClient, IsNotHealthyWithoutAServer) {
  ClientOptions o = client_options(refused_endpoint());
  Client client(o);
  EXPECT_FALSE(client.healthy());
  ScriptedServer sick([](int, const std::string&) { return raw_response(503, R"({"status": "draining"})"); });
  Client to_sick(client_options(sick.endpoint()));
  EXPECT_FALSE(to_sick.healthy());
  EXPECT_EQ(sick.attempts(), 1);  // a health check is not retried
}

TEST(SandboxClient, RetriesOn503And429ThenSucceeds) {
  ScriptedServer server([](int attempt, const std::string& request) -> std::optional<std::string> {
    EXPECT_TRUE(request.starts_with("POST /v1/run HTTP/1.1\r\n")) << request;
    if (attempt == 1) return raw_response(503, R"({"error": "the server is shutting down"})");
    if (attempt == 2) return raw_response(429, R"({"error": "the queue is full"})");
    return raw_response(200, ok_result("third time"));
  });
  Client client(client_options(server.endpoint()));
  RunResult r = client.submit(python("x")).get();
  EXPECT_EQ(r.status, RunStatus::ok) << r.message;
  EXPECT_EQ(r.execution.stdout_text, "third time");
  EXPECT_EQ(server.attempts(), 3);
}

TEST(SandboxClient, RetriesAConnectionDroppedBeforeTheAnswer) {
  ScriptedServer server([](int attempt, const std::string&) -> std::optional<std::string> {
    if (attempt == 1) return std::nullopt;
    return raw_response(200, ok_result("second"));
  });
  Client client(client_options(server.endpoint()));
  RunResult r = client.submit(python("x")).get();
  EXPECT_EQ(r.status, RunStatus::ok) << r.message;
  EXPECT_EQ(server.attempts(), 2);
}

TEST(SandboxClient, GivesUpAfterMaxRetries) {
  ScriptedServer server([](int, const std::string&) { return raw_response(503, R"({"error": "still busy"})"); });
  ClientOptions o = client_options(server.endpoint());
  o.max_retries = 2;
  Client client(o);
  RunResult r = client.submit(python("x")).get();
  EXPECT_EQ(r.status, RunStatus::internal_error);
  EXPECT_TRUE(contains(r.message, "answered 503: still busy (after 3 attempts)")) << r.message;
  EXPECT_EQ(server.attempts(), 3);
}

TEST(SandboxClient, DoesNotRetryABadRequest) {
  ScriptedServer server([](int, const std::string&) {
    return raw_response(400, R"({"error": "unknown language 'cobol'"})");
  });
  Client client(client_options(server.endpoint()));
  RunResult r = client.submit(python("x")).get();
  EXPECT_EQ(r.status, RunStatus::internal_error);
  EXPECT_TRUE(contains(r.message, "answered 400: unknown language 'cobol'")) << r.message;
  EXPECT_EQ(server.attempts(), 1);
}

TEST(SandboxClient, ReportsAMalformedAnswer) {
  ScriptedServer server([](int, const std::string&) { return raw_response(200, R"({"status": "ok"})"); });
  Client client(client_options(server.endpoint()));
  RunResult r = client.submit(python("x")).get();
  EXPECT_EQ(r.status, RunStatus::internal_error);
  EXPECT_TRUE(contains(r.message, "malformed run result")) << r.message;
}

TEST(SandboxClient, RetriesRefusedConnectionsThenReportsThem) {
  ClientOptions o = client_options(refused_endpoint());
  o.max_retries = 2;
  Client client(o);
  RunResult r = client.submit(python("x")).get();
  EXPECT_EQ(r.status, RunStatus::internal_error);
  EXPECT_TRUE(contains(r.message, "refused")) << r.message;
  EXPECT_TRUE(contains(r.message, "(after 3 attempts)")) << r.message;
}

TEST(SandboxClient, TimesOutOnAServerThatNeverAnswers) {
  ScriptedServer hung([](int, const std::string&) { return std::nullopt; }, /*hang=*/true);
  ClientOptions o = client_options(hung.endpoint());
  o.timeout = 200ms;
  Client client(o);
  auto begin = std::chrono::steady_clock::now();
  RunResult r = client.submit(python("x")).get();
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(r.status, RunStatus::internal_error);
  EXPECT_TRUE(contains(r.message, "no answer within the timeout of 200 ms")) << r.message;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 1s);  // a timeout is not retried
  EXPECT_FALSE(client.healthy());
}

TEST(SandboxClient, RunAllKeepsTheOrder) {
  TestServer t("127.0.0.1:0", /*concurrency=*/8);
  ClientOptions o = client_options(t.server->endpoint());
  o.max_in_flight = 8;
  Client client(o);
  std::mt19937 rng(3);
  std::vector<grpo::sandbox::RunRequest> requests;
  for (int i = 0; i < 64; ++i)
    requests.push_back(python("sleep:" + std::to_string(rng() % 15) + " #" + std::to_string(i)));
  std::vector<RunResult> results = client.run_all(requests);
  ASSERT_EQ(results.size(), requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(results[i].status, RunStatus::ok) << i << ": " << results[i].message;
    EXPECT_EQ(results[i].execution.stdout_text, requests[i].code) << i;
  }
  EXPECT_GE(t.executor->max_running, 2);  // they did run side by side
}

TEST(SandboxClient, KeepsAtMostMaxInFlightOnTheWire) {
  TestServer t("127.0.0.1:0", /*concurrency=*/8);
  ClientOptions o = client_options(t.server->endpoint());
  o.max_in_flight = 3;
  Client client(o);
  std::vector<std::future<RunResult>> futures;
  std::vector<std::thread> threads;
  std::mutex mutex;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 3; ++j) {
        auto f = client.submit(python("sleep:30"));
        std::lock_guard lock(mutex);
        futures.push_back(std::move(f));
      }
    });
  for (auto& th : threads) th.join();
  for (auto& f : futures) EXPECT_EQ(f.get().status, RunStatus::ok);
  EXPECT_LE(t.executor->max_running, 3);
  EXPECT_GE(t.executor->max_running, 2);  // and not one at a time either
  EXPECT_EQ(t.executor->finished, 12);
}

TEST(SandboxClient, DestroyingTheClientAnswersWhatIsStillOut) {
  TestServer t;
  std::future<RunResult> running;
  std::future<RunResult> waiting;
  {
    ClientOptions o = client_options(t.server->endpoint());
    o.max_in_flight = 1;
    Client client(o);
    running = client.submit(python("block"));
    waiting = client.submit(python("block"));
    ASSERT_TRUE(eventually([&] { return t.executor->started == 1; }));
  }
  RunResult r = running.get();
  EXPECT_EQ(r.status, RunStatus::internal_error);
  EXPECT_TRUE(contains(r.message, "shut down")) << r.message;
  EXPECT_EQ(waiting.get().status, RunStatus::internal_error);
  // The server noticed the connection go and cancelled the run.
  EXPECT_TRUE(eventually([&] { return t.executor->stopped == 1; }));
}

TEST(SandboxClient, RejectsBadOptions) {
  ClientOptions o;
  o.endpoint = "nowhere";
  EXPECT_THROW(Client{o}, grpo::Error);
  o = ClientOptions{};
  o.max_in_flight = 0;
  EXPECT_THROW(Client{o}, grpo::Error);
}

}  // namespace
