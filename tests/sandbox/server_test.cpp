#include "sandbox/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "libgrpo/error.h"
#include "sandbox_fakes.h"

namespace {

using namespace sandbox_test;
using grpo::sandbox::Server;
using grpo::sandbox::ServerOptions;
using json = nlohmann::json;

ServerOptions test_options() {
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.concurrency = 2;
  o.queue_size = 4;
  o.read_timeout = 2s;
  o.drain_timeout = 2s;
  return o;
}

// A started server with a FakeExecutor and a log recorder.
struct TestServer {
  explicit TestServer(ServerOptions options = test_options()) {
    options.log = log.sink();
    server = std::make_unique<Server>(options, executor);
    server->start();
    endpoint = server->endpoint();
  }

  json health() {
    Reply r = http(endpoint, "GET", "/v1/health");
    return r.status == 0 ? json() : json::parse(r.body);
  }

  std::shared_ptr<FakeExecutor> executor = std::make_shared<FakeExecutor>();
  LogRecorder log;
  std::unique_ptr<Server> server;
  std::string endpoint;
};

// Sends a run on its own connection and leaves the reply to be read.
std::unique_ptr<RawSocket> send_run(const std::string& endpoint, const std::string& code) {
  auto s = std::make_unique<RawSocket>(endpoint);
  EXPECT_TRUE(s->connected());
  EXPECT_TRUE(s->send(http_request("POST", "/v1/run", run_body(code))));
  return s;
}

std::string unix_path(const char* name) { return "/tmp/grpo-sandbox-test-" + std::to_string(::getpid()) + "-" + name; }

TEST(SandboxServer, HealthReportsTheQueue) {
  TestServer t;
  Reply r = http(t.endpoint, "GET", "/v1/health");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  json h = json::parse(r.body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["running"], 0);
  EXPECT_EQ(h["queued"], 0);
  EXPECT_EQ(h["concurrency"], 2);
  EXPECT_EQ(h["queue_size"], 4);
  EXPECT_EQ(h["served"], 0);
  EXPECT_TRUE(t.endpoint.starts_with("127.0.0.1:")) << t.endpoint;
  EXPECT_NE(t.endpoint, "127.0.0.1:0");
}

TEST(SandboxServer, RunsOverTcp) {
  TestServer t;
  Reply r = http(t.endpoint, "POST", "/v1/run", run_body("print(42)"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto result = grpo::sandbox::parse_run_result(r.body);
  EXPECT_EQ(result.status, grpo::sandbox::RunStatus::ok);
  EXPECT_EQ(result.execution.stdout_text, "print(42)");
  EXPECT_EQ(t.health()["served"], 1);
}

TEST(SandboxServer, RunsOverAUnixSocketAndReplacesAStaleOne) {
  std::string path = unix_path("run.sock");
  {  // a socket file left behind by a server that died
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ::unlink(path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);
  }
  ServerOptions o = test_options();
  o.listen = "unix:" + path;
  {
    TestServer t(o);
    EXPECT_EQ(t.endpoint, "unix:" + path);
    Reply r = http(t.endpoint, "POST", "/v1/run", run_body("hello"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(grpo::sandbox::parse_run_result(r.body).execution.stdout_text, "hello");

    // A second server on a live socket refuses to take it over.
    Server second(o, std::make_shared<FakeExecutor>());
    try {
      second.start();
      ADD_FAILURE() << "a second server took over a live socket";
    } catch (const grpo::Error& e) {
      EXPECT_NE(e.message().find("another server is listening"), std::string::npos) << e.message();
    }
  }
  struct stat st;
  EXPECT_NE(::lstat(path.c_str(), &st), 0) << "the socket file outlived the server";
}

TEST(SandboxServer, RefusesToReplaceAFileThatIsNotASocket) {
  std::string path = unix_path("file");
  std::ofstream(path) << "data";
  ServerOptions o = test_options();
  o.listen = "unix:" + path;
  Server server(o, std::make_shared<FakeExecutor>());
  try {
    server.start();
    ADD_FAILURE() << "start() replaced a regular file";
  } catch (const grpo::Error& e) {
    EXPECT_NE(e.message().find("is not a socket"), std::string::npos) << e.message();
  }
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
  ::unlink(path.c_str());
}

TEST(SandboxServer, StartFailsOnATakenPortOrABadAddress) {
  TestServer t;
  ServerOptions o = test_options();
  o.listen = t.endpoint;
  Server second(o, std::make_shared<FakeExecutor>());
  try {
    second.start();
    ADD_FAILURE() << "two servers bound " << t.endpoint;
  } catch (const grpo::Error& e) {
    EXPECT_NE(e.message().find("cannot listen on " + t.endpoint), std::string::npos) << e.message();
  }
  o.listen = "localhost";
  Server bad(o, std::make_shared<FakeExecutor>());
  EXPECT_THROW(bad.start(), grpo::Error);
}

TEST(SandboxServer, KeepsConnectionsAliveAndAnswersPipelinedRequests) {
  TestServer t;
  RawSocket s(t.endpoint);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.send(http_request("POST", "/v1/run", run_body("run " + std::to_string(i)), "", false)));
    Reply r = s.read_reply();
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(grpo::sandbox::parse_run_result(r.body).execution.stdout_text, "run " + std::to_string(i));
  }
  // Two requests in one write: answered in order.
  ASSERT_TRUE(s.send(http_request("POST", "/v1/run", run_body("sleep:50"), "", false) +
                     http_request("GET", "/v1/health", "", "", false)));
  Reply first = s.read_reply();
  Reply second = s.read_reply();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(grpo::sandbox::parse_run_result(first.body).execution.stdout_text, "sleep:50");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(json::parse(second.body)["status"], "ok");
  EXPECT_EQ(t.executor->stopped, 0) << "pipelined data was taken for a client that left";
}

TEST(SandboxServer, BadRequestsGetA4xxThatSaysWhy) {
  TestServer t;
  struct Case {
    const char* method;
    const char* target;
    std::string body;
    int status;
    const char* error;
  };
  const Case cases[] = {
      {"POST", "/v1/run", "{", 400, "the body is not valid JSON"},
      {"POST", "/v1/run", "", 400, "the body is not valid JSON"},
      {"POST", "/v1/run", "[1, 2]", 400, "the body must be a JSON object, got array"},
      {"POST", "/v1/run", R"({"language": "python", "code": "x", "colour": 1})", 400, "colour: unknown field"},
      {"POST", "/v1/run", R"({"language": "python", "code": "x", "limits": {"cpu_ms": -5}})", 400,
       "limits.cpu_ms: -5 is out of range [1, 120000]"},
      {"POST", "/v1/run", R"({"language": "python", "code": "x", "limits": {"wall_ms": 99999999999}})", 400,
       "limits.wall_ms: 99999999999 is out of range"},
      {"POST", "/v1/run", R"({"language": "python"})", 400, "code: missing"},
      {"POST", "/v1/run", R"({"language": "cobol", "code": "x"})", 400, "unknown language 'cobol'"},
      {"GET", "/v1/run", "", 405, "GET is not allowed on /v1/run; use POST"},
      {"POST", "/v1/health", "{}", 405, "POST is not allowed on /v1/health; use GET"},
      {"GET", "/v2/run", "", 404, "no such path '/v2/run'"},
      {"DELETE", "/", "", 404, "no such path '/'"},
  };
  for (const Case& c : cases) {
    Reply r = http(t.endpoint, c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body;
    EXPECT_NE(r.error().find(c.error), std::string::npos) << "got: " << r.body << "\nwanted: " << c.error;
  }
  EXPECT_EQ(http(t.endpoint, "GET", "/v1/run").headers["allow"], "POST");

  // A 400 leaves a keep-alive connection usable.
  RawSocket s(t.endpoint);
  ASSERT_TRUE(s.send(http_request("POST", "/v1/run", "{", "", false)));
  EXPECT_EQ(s.read_reply().status, 400);
  ASSERT_TRUE(s.send(http_request("POST", "/v1/run", run_body("after"), "", false)));
  EXPECT_EQ(s.read_reply().status, 200);
  EXPECT_EQ(t.executor->started, 1);
}

TEST(SandboxServer, OversizedBodiesGet413WithoutBeingRead) {
  ServerOptions o = test_options();
  o.max_body_bytes = 1024;
  TestServer t(o);
  Reply r = http(t.endpoint, "POST", "/v1/run", run_body(std::string(4096, 'x')));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.error(), "the body is over the limit of 1024 bytes");

  // Announced, not sent: the answer comes from the header alone.
  RawSocket s(t.endpoint);
  ASSERT_TRUE(s.send("POST /v1/run HTTP/1.1\r\nContent-Length: 100000000000\r\n\r\n{\"code\""));
  EXPECT_EQ(s.read_reply().status, 413);
  EXPECT_TRUE(s.closed_within(2s));

  // curl's Expect: 100-continue gets its 413 before sending the body...
  RawSocket e(t.endpoint);
  ASSERT_TRUE(e.send("POST /v1/run HTTP/1.1\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(e.read_reply().status, 413);
  // ...and a small body its 100 Continue, then the answer.
  RawSocket c(t.endpoint);
  std::string body = run_body("continued");
  ASSERT_TRUE(c.send("POST /v1/run HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(c.read_reply().status, 100);
  ASSERT_TRUE(c.send(body));
  EXPECT_EQ(c.read_reply().status, 200);

  EXPECT_EQ(http(t.endpoint, "POST", "/v1/run", run_body("small")).status, 200);
}

TEST(SandboxServer, HugeHeadersAreRefused) {
  TestServer t;
  RawSocket s(t.endpoint);
  ASSERT_TRUE(s.send("GET /v1/health HTTP/1.1\r\nX-Big: " + std::string(200'000, 'a') + "\r\n\r\n"));
  Reply r = s.read_reply();
  EXPECT_EQ(r.status, 431);
  EXPECT_NE(r.error().find("request header is over the limit"), std::string::npos) << r.body;
  EXPECT_EQ(t.health()["status"], "ok");
}

TEST(SandboxServer, AFullQueueAnswers429) {
  ServerOptions o = test_options();
  o.concurrency = 1;
  o.queue_size = 1;
  TestServer t(o);
  auto running = send_run(t.endpoint, "sleep:300");
  ASSERT_TRUE(eventually([&] { return t.executor->started == 1; }));
  auto waiting = send_run(t.endpoint, "sleep:300");
  ASSERT_TRUE(eventually([&] { return t.health()["queued"] == 1; }));

  Reply refused = http(t.endpoint, "POST", "/v1/run", run_body("sleep:300"));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.headers["retry-after"], "1");
  EXPECT_NE(refused.error().find("the queue is full"), std::string::npos) << refused.body;

  EXPECT_EQ(running->read_reply().status, 200);
  EXPECT_EQ(waiting->read_reply().status, 200);
  EXPECT_EQ(t.executor->started, 2);
}

TEST(SandboxServer, ShutdownLetsRunningRunsFinish) {
  TestServer t;
  auto run = send_run(t.endpoint, "sleep:300");
  ASSERT_TRUE(eventually([&] { return t.executor->started == 1; }));
  t.server->shutdown();
  // No new connections once it drains...
  EXPECT_TRUE(eventually([&] { return !RawSocket(t.endpoint).connected(); }));
  // ...but the run in flight gets its answer.
  Reply r = run->read_reply();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(grpo::sandbox::parse_run_result(r.body).execution.stdout_text, "sleep:300");
  t.server->wait();
  EXPECT_EQ(t.executor->stopped, 0);
}

TEST(SandboxServer, ShutdownCancelsRunsPastTheDrainTimeout) {
  ServerOptions o = test_options();
  o.concurrency = 1;
  o.queue_size = 1;
  o.drain_timeout = 400ms;
  TestServer t(o);
  RawSocket idle(t.endpoint);  // a keep-alive connection from before the shutdown
  ASSERT_TRUE(idle.send(http_request("GET", "/v1/health", "", "", false)));
  ASSERT_EQ(idle.read_reply().status, 200);
  RawSocket late(t.endpoint);

  auto running = send_run(t.endpoint, "block");
  ASSERT_TRUE(eventually([&] { return t.executor->started == 1; }));
  auto queued = send_run(t.endpoint, "block");
  ASSERT_TRUE(eventually([&] { return t.health()["queued"] == 1; }));

  auto begin = std::chrono::steady_clock::now();
  t.server->shutdown();
  // While it drains, health says so and new runs are turned away.
  ASSERT_TRUE(idle.send(http_request("GET", "/v1/health", "", "", false)));
  Reply h = idle.read_reply();
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(json::parse(h.body)["status"], "draining");
  ASSERT_TRUE(late.send(http_request("POST", "/v1/run", run_body("x"))));
  Reply refused = late.read_reply();
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.error().find("shutting down"), std::string::npos) << refused.body;

  Reply r1 = running->read_reply();
  Reply r2 = queued->read_reply();
  EXPECT_EQ(r1.status, 503);
  EXPECT_NE(r1.error().find("cancelled"), std::string::npos) << r1.body;
  EXPECT_EQ(r2.status, 503);
  t.server->wait();
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(t.executor->stopped, 1);  // the running one saw its stop token
  EXPECT_EQ(t.executor->started, 1);  // the queued one never ran
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 1500ms);
}

TEST(SandboxServer, SurvivesGarbageAndHalfRequests) {
  TestServer t;
  std::mt19937 rng(7);
  std::vector<std::string> inputs = {
      "\x00\x01\x02\xff\xfe garbage\r\n\r\n",
      "GET /v1/health HTTP/9.9\r\n\r\n",
      "BREW /v1/run HTTP/1.1\r\n\r\n",
      "GET /v1/health HTTP/1.1\r\nNo colon here\r\n\r\n",
      "POST /v1/run HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
      "POST /v1/run HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "POST /v1/run HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST /v1/run HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"language\"",  // half a request
      "GET /v1/hea",                                                           // half a request line
      std::string(" \r\n\r\n"),
  };
  for (int i = 0; i < 20; ++i) {
    std::string noise(static_cast<size_t>(rng() % 3000), '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    inputs.push_back(std::move(noise));
  }
  for (const std::string& input : inputs) {
    RawSocket s(t.endpoint);
    ASSERT_TRUE(s.connected());
    s.send(input);
    Reply r = s.read_reply(300ms);  // a 400, or nothing before the connection is dropped
    EXPECT_TRUE(r.status == 0 || r.status == 400 || r.status == 404 || r.status == 405) << r.status;
  }
  EXPECT_EQ(t.health()["status"], "ok");
  EXPECT_EQ(http(t.endpoint, "POST", "/v1/run", run_body("still here")).status, 200);
}

TEST(SandboxServer, DropsStalledClients) {
  ServerOptions o = test_options();
  o.read_timeout = 200ms;
  TestServer t(o);
  RawSocket silent(t.endpoint);
  RawSocket trickle(t.endpoint);
  ASSERT_TRUE(trickle.send("GET /v1/health HTTP/1.1\r\nHo"));
  // Meanwhile others are served.
  EXPECT_EQ(t.health()["status"], "ok");
  EXPECT_TRUE(silent.closed_within(1500ms));
  EXPECT_TRUE(trickle.closed_within(1500ms));
  EXPECT_EQ(t.health()["status"], "ok");
  ASSERT_TRUE(eventually([&] {
    for (const auto& line : t.log.lines())
      if (json::parse(line)["status"] == 408) return true;
    return false;
  }));
}

TEST(SandboxServer, AClientThatLeavesCancelsItsRun) {
  TestServer t;
  auto run = send_run(t.endpoint, "block");
  ASSERT_TRUE(eventually([&] { return t.executor->started == 1; }));
  run->close();
  EXPECT_TRUE(eventually([&] { return t.executor->stopped == 1; }));
  EXPECT_TRUE(eventually([&] { return t.health()["running"] == 0; }));
  ASSERT_TRUE(eventually([&] {
    for (const auto& line : t.log.lines())
      if (json::parse(line)["status"] == 499) return true;
    return false;
  }));
}

TEST(SandboxServer, LogsOneLinePerRequest) {
  TestServer t;
  ASSERT_EQ(http(t.endpoint, "GET", "/v1/health").status, 200);
  std::string body = run_body("print(1)");
  ASSERT_EQ(http(t.endpoint, "POST", "/v1/run", body).status, 200);
  ASSERT_EQ(http(t.endpoint, "GET", "/nope").status, 404);
  ASSERT_TRUE(eventually([&] { return t.log.lines().size() >= 3; }));
  std::this_thread::sleep_for(20ms);  // nothing more comes
  auto lines = t.log.lines();
  ASSERT_EQ(lines.size(), 3u);
  std::vector<json> logs;
  for (const auto& line : lines) logs.push_back(json::parse(line));
  std::sort(logs.begin(), logs.end(), [](const json& a, const json& b) { return a["target"] < b["target"]; });
  const json& health = logs[1];  // "/nope" < "/v1/health" < "/v1/run"
  const json& run = logs[2];
  EXPECT_EQ(logs[0]["status"], 404);
  EXPECT_EQ(health["method"], "GET");
  EXPECT_EQ(health["status"], 200);
  EXPECT_FALSE(health.contains("run_status"));
  EXPECT_EQ(run["method"], "POST");
  EXPECT_EQ(run["target"], "/v1/run");
  EXPECT_EQ(run["status"], 200);
  EXPECT_EQ(run["run_status"], "ok");
  EXPECT_EQ(run["language"], "python");
  EXPECT_GT(run["bytes"].get<int>(), static_cast<int>(body.size()));
  EXPECT_GE(run["ms"].get<int>(), 0);
  EXPECT_TRUE(run["peer"].get<std::string>().starts_with("127.0.0.1:")) << run;
  EXPECT_TRUE(run["time"].get<std::string>().ends_with("Z")) << run;
}

}  // namespace
