// ProgressBar with a fake clock: the plain log line, the redrawn terminal
// line and its width, and the ETA of a resumed run.
#include "libgrpo/progress.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <sstream>

#include "support/expect_error.h"

using grpo::ProgressBar;

namespace {

struct FakeClock {
  double now = 1000;
  grpo::ProgressClock clock() {
    return [this] { return now; };
  }
};

TEST(ProgressBar, PlainLinePerUpdateWithElapsedAndEta) {
  FakeClock time;
  std::ostringstream out;
  ProgressBar bar(100, out, /*tty=*/false, 0, time.clock(), 80);
  time.now += 32;
  bar.update(12, {{"reward", 0.4123}, {"accuracy", 0.38}, {"kl", 0.00312}, {"loss", 9.0}});
  // 32 s for 12 steps, 88 to go: 234.7 s.
  EXPECT_EQ(out.str(), "step 12/100 reward=0.412 accuracy=0.380 kl=0.0031 elapsed=00:32 eta=03:55\n");
  time.now += 3600;
  bar.update(13, {{"eval/accuracy", 0.5}, {"completions/mean_length", 312.4}});
  EXPECT_EQ(bar.last_line(), "step 13/100 eval/accuracy=0.500 completions/mean_length=312 elapsed=1:00:32 eta=6:45:06");
  bar.finish();  // nothing to end
  std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(ProgressBar, ResumedRunEstimatesFromItsOwnSteps) {
  FakeClock time;
  std::ostringstream out;
  ProgressBar bar(100, out, false, /*first_step=*/50, time.clock(), 80);
  time.now += 20;
  bar.update(60, {});
  // 2 s per step since the resume, 40 steps left.
  EXPECT_EQ(bar.last_line(), "step 60/100 elapsed=00:20 eta=01:20");
  // Before any step is done (an evaluation at the start) there is no estimate.
  ProgressBar fresh(100, out, false, 0, time.clock(), 80);
  fresh.update(0, {{"eval/accuracy", 0.1}});
  EXPECT_EQ(fresh.last_line(), "step 0/100 eval/accuracy=0.100 elapsed=00:00 eta=?");
}

TEST(ProgressBar, TerminalLineIsRedrawnInPlaceAndFitsTheWidth) {
  FakeClock time;
  std::ostringstream out;
  const std::map<std::string, double> metrics = {{"reward", 0.412},   {"accuracy", 0.38},
                                                 {"eval/accuracy", 0.4}, {"completions/mean_length", 312.4},
                                                 {"kl", 0.0031}};
  ProgressBar bar(100, out, /*tty=*/true, 0, time.clock(), 120);
  std::ostringstream out80;
  ProgressBar standard(100, out80, true, 0, time.clock(), 80);
  time.now += 70;
  bar.update(35, metrics);
  std::string line = bar.last_line();
  EXPECT_EQ(out.str(), "\r" + line + "\x1b[K");
  EXPECT_LE(line.size(), 119u);
  EXPECT_EQ(line.rfind("[", 0), 0u) << line;
  EXPECT_NE(line.find("]  35/100 01:10<02:10 2.0s/step reward=0.412 acc=0.380 eval_acc=0.400 len=312 kl=0.0031"),
            std::string::npos)
      << line;
  // 35% of the bar is filled.
  size_t bar_width = line.find(']') - 1;
  EXPECT_EQ(std::count(line.begin(), line.end(), '#'), static_cast<long>(bar_width * 35 / 100));

  // Narrower terminals drop metrics from the end, then the bar; the line never wraps.
  standard.update(35, metrics);
  EXPECT_EQ(standard.last_line(), "[########----------------]  35/100 01:10<02:10 2.0s/step reward=0.412 acc=0.380");
  for (int columns : {60, 40, 20}) {
    ProgressBar narrow(100, out, true, 0, time.clock(), columns);
    narrow.update(35, metrics);
    EXPECT_LE(narrow.last_line().size(), static_cast<size_t>(columns - 1)) << columns;
    EXPECT_NE(narrow.last_line().find("35/100"), std::string::npos) << narrow.last_line();
  }
  // Fast steps read as steps per second.
  ProgressBar fast(1000, out, true, 0, time.clock(), 80);
  time.now += 1;
  fast.update(4, {});
  EXPECT_NE(fast.last_line().find("4.0step/s"), std::string::npos) << fast.last_line();

  out.str("");
  bar.finish();
  bar.finish();
  EXPECT_EQ(out.str(), "\n");
}

TEST(ProgressBar, CompactNumbersAndClock) {
  EXPECT_EQ(grpo::format_compact(0.4123), "0.412");
  EXPECT_EQ(grpo::format_compact(-1.5), "-1.500");
  EXPECT_EQ(grpo::format_compact(312.4), "312");
  EXPECT_EQ(grpo::format_compact(3.1e-5), "3.1e-05");
  EXPECT_EQ(grpo::format_compact(0), "0");
  EXPECT_EQ(grpo::format_compact(std::nan("")), "nan");
  EXPECT_EQ(grpo::format_compact(2.5e7), "2.50e+07");
  EXPECT_EQ(grpo::format_clock(59.6), "01:00");
  EXPECT_EQ(grpo::format_clock(3661), "1:01:01");
  EXPECT_EQ(grpo::format_clock(-1), "?");
  EXPECT_ERROR(ProgressBar(10, std::cout, false, 10), "must be greater than first_step");
}

}  // namespace
