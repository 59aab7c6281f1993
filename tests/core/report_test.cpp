// Run report: every metric gets one curve, evaluation metrics as points,
// NaN gaps, compared runs, escaped text, samples, and clear errors for
// broken run directories; the chart helpers' ticks and labels.
#include "libgrpo/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "report_svg.h"
#include "support/expect_error.h"

namespace fs = std::filesystem;
using grpo::read_run_dir;
using grpo::render_report;
using grpo::ReportOptions;
using grpo::RunData;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The <figure> holding the chart with element id ("" when there is none).
std::string figure_of(const std::string& html, const std::string& id) {
  size_t at = html.find("<svg id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  size_t begin = html.rfind("<figure", at), end = html.find("</figure>", at);
  return html.substr(begin, end - begin);
}

// The d attribute of the run's series path for metric ("" when there is none).
std::string series_path(const std::string& html, const std::string& metric, int run = 0) {
  std::string head = "<path class=\"series\" data-metric=\"" + metric + "\" data-run=\"" + std::to_string(run) + "\"";
  size_t at = html.find(head);
  if (at == std::string::npos) return "";
  size_t d = html.find(" d=\"", at) + 4;
  return html.substr(d, html.find('"', d) - d);
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("libgrpo_report_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A run of 10 steps: dense training metrics, evaluation every 5 steps from
  // step 0, kl null at step 4, an all-null metric, and custom ones.
  fs::path write_run(const std::string& name, double reward_offset = 0) const {
    fs::path run = dir_ / name;
    fs::create_directories(run);
    std::ofstream out(run / "metrics.jsonl");
    for (int step = 0; step <= 10; ++step) {
      out << "{\"step\":" << step << ",\"time\":" << 1700000000 + 2 * step;
      if (step % 5 == 0) out << ",\"eval/accuracy\":" << 0.1 + 0.05 * step << ",\"eval/pass@1\":0.2,\"eval/accuracy/countdown\":0.3";
      if (step > 0) {
        out << ",\"reward\":" << reward_offset + 0.05 * step << ",\"reward_std\":0.1,\"accuracy\":0.3"
            << ",\"kl\":" << (step == 4 ? "null" : "0.001") << ",\"clip_ratio/low_mean\":0.01,\"clip_ratio/high_mean\":0.02"
            << ",\"completions/mean_length\":120.5,\"grad_norm\":0.7,\"rewards/format/mean\":0.9,\"my_metric\":3"
            << ",\"always_null\":null";
      }
      out << "}\n";
    }
    return run;
  }

  // A run evaluated at steps 0, 5, ..., 20 with the held-out headline
  // metrics: nothing correct at steps 0 and 10 (mean_length_correct null
  // there), and nothing reflecting (precision null throughout).
  fs::path write_eval_run(const std::string& name, double length_offset = 0) const {
    fs::path run = dir_ / name;
    fs::create_directories(run);
    std::ofstream out(run / "metrics.jsonl");
    for (int step = 0; step <= 20; ++step) {
      out << "{\"step\":" << step;
      if (step > 0) out << ",\"reward\":0.5";
      if (step % 5 == 0) {
        bool none_correct = step == 0 || step == 10;
        out << ",\"eval/accuracy\":" << (none_correct ? 0.0 : 0.01 * step)
            << ",\"eval/completions/mean_length\":" << length_offset + 20 + step
            << ",\"eval/completions/mean_length_correct\":"
            << (none_correct ? std::string("null") : std::to_string(length_offset + 30 + step))
            << ",\"eval/completions/mean_length_incorrect\":" << length_offset + 18 + step
            << ",\"eval/reflection/rate\":0,\"eval/reflection/precision\":null,\"eval/reflection/recall\":0";
      }
      out << "}\n";
    }
    return run;
  }

  void write(const fs::path& path, const std::string& text) const { std::ofstream(path, std::ios::binary) << text; }

  fs::path dir_;
};

TEST_F(ReportTest, EveryMetricGetsExactlyOneCurveHeadlinesFirst) {
  std::string html = render_report({read_run_dir(write_run("run"))});
  for (std::string metric : {"reward", "accuracy", "eval/accuracy", "kl", "clip_ratio/low_mean", "clip_ratio/high_mean",
                             "completions/mean_length", "grad_norm", "rewards/format/mean", "my_metric",
                             "always_null", "eval/pass@1", "eval/accuracy/countdown"}) {
    EXPECT_EQ(count(html, "<path class=\"series\" data-metric=\"" + metric + "\""), 1u) << metric;
  }
  // reward_std is reward's band, not a curve of its own; the wall clock is no curve.
  EXPECT_EQ(count(html, "class=\"series\" data-metric=\"reward_std\""), 0u);
  EXPECT_GT(count(html, "<path class=\"band\" data-metric=\"reward_std\""), 0u);
  EXPECT_EQ(count(html, "data-metric=\"time\""), 0u);
  // The held-out headline first, then training charts in their order, then
  // the rest; related curves share a chart.
  size_t eval = html.find("id=\"chart-eval-accuracy\""), reward = html.find("id=\"chart-reward\""),
         accuracy = html.find("id=\"chart-accuracy\""), kl = html.find("id=\"chart-kl\""),
         mine = html.find("id=\"chart-my-metric\"");
  ASSERT_NE(mine, std::string::npos);
  EXPECT_LT(eval, reward);
  EXPECT_LT(reward, accuracy);
  EXPECT_LT(accuracy, kl);
  EXPECT_LT(kl, mine);
  EXPECT_LT(html.find("data-metric=\"eval/accuracy\"", eval), html.find("</svg>", eval));
  // The held-out accuracy, 7 training charts (clip ratios share one), then
  // always_null, eval/accuracy/*, my_metric, rewards/format/*.
  EXPECT_EQ(count(html, "<svg id=\"chart-"), 12u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://", html.find("<body")), html.find("http://www.w3.org/2000/svg", html.find("<body")));
}

TEST_F(ReportTest, EvaluationMetricsArePointsAndNullsAreGaps) {
  std::string html = render_report({read_run_dir(write_run("run"))});
  // Evaluated at steps 0, 5, 10: three markers joined by one line.
  EXPECT_EQ(count(html, "<circle class=\"point\" data-metric=\"eval/accuracy\""), 3u);
  EXPECT_EQ(count(series_path(html, "eval/accuracy"), "M"), 1u);
  EXPECT_NE(html.find("eval/accuracy at step 5: 0.35</title>"), std::string::npos);
  // Dense curves carry no markers; kl is null at step 4: two pieces.
  EXPECT_EQ(count(html, "<circle class=\"point\" data-metric=\"reward\""), 0u);
  EXPECT_EQ(count(series_path(html, "kl"), "M"), 2u);
  EXPECT_EQ(count(series_path(html, "reward"), "M"), 1u);
  // Nothing finite to draw: said, not a broken axis.
  size_t null_chart = html.find("id=\"chart-always-null\"");
  ASSERT_NE(null_chart, std::string::npos);
  EXPECT_LT(html.find("no finite values", null_chart), html.find("</svg>", null_chart));
  EXPECT_EQ(html.find("nan\""), std::string::npos) << "a NaN reached an SVG coordinate";
}

TEST_F(ReportTest, HeldOutHeadlineLeadsThePageWithOverlaidCurves) {
  std::string html = render_report({read_run_dir(write_eval_run("run"))});
  // The headline section comes first: before the summary and the training charts.
  size_t headline = html.find("<section id=\"held-out\" class=\"headline\"><h2>Held-out evaluation</h2>");
  ASSERT_NE(headline, std::string::npos);
  EXPECT_LT(headline, html.find("<table class=\"summary\""));
  EXPECT_LT(headline, html.find("<section id=\"training\""));
  EXPECT_LT(html.find("id=\"chart-eval-completions-mean-length\""), html.find("<section id=\"training\""));

  // Accuracy on its own, the three lengths overlaid on one chart, reflection
  // rate with precision on another; each curve once, with its legend label.
  std::string accuracy = figure_of(html, "chart-eval-accuracy");
  EXPECT_EQ(count(accuracy, "class=\"series\""), 1u);
  EXPECT_NE(accuracy.find("title=\"eval/accuracy\">"), std::string::npos);
  EXPECT_NE(accuracy.find(">share correct</text>"), std::string::npos);  // the y axis' label
  std::string lengths = figure_of(html, "chart-eval-completions-mean-length");
  EXPECT_NE(lengths.find(">tokens</text>"), std::string::npos);
  EXPECT_EQ(count(lengths, "class=\"series\""), 3u);
  const std::vector<std::pair<std::string, std::string>> curves = {
      {"eval/completions/mean_length", "all"},
      {"eval/completions/mean_length_correct", "correct"},
      {"eval/completions/mean_length_incorrect", "incorrect"}};
  std::set<std::string> colors;
  for (const auto& [metric, label] : curves) {
    EXPECT_EQ(count(lengths, "<path class=\"series\" data-metric=\"" + metric + "\""), 1u) << metric;
    EXPECT_EQ(count(html, "<path class=\"series\" data-metric=\"" + metric + "\""), 1u) << metric;
    EXPECT_NE(lengths.find("<li class=\"key\" data-metric=\"" + metric + "\""), std::string::npos) << metric;
    std::regex entry("data-metric=\"" + metric + "\" title=\"[^\"]*\">(<svg[^>]*>.*?</svg>)+" + label + "</li>");
    EXPECT_TRUE(std::regex_search(lengths, entry)) << metric << " has no legend entry \"" << label << "\"";
    std::string head = "data-metric=\"" + metric + "\" data-run=\"0\" stroke=\"";
    size_t at = lengths.find(head);
    ASSERT_NE(at, std::string::npos) << metric;
    colors.insert(lengths.substr(at + head.size(), 7));
  }
  EXPECT_EQ(colors, (std::set<std::string>{"#4e79a7", "#59a14f", "#e15759"}));  // all, correct green, incorrect red
  std::string reflection = figure_of(html, "chart-eval-reflection-rate");
  EXPECT_FALSE(series_path(reflection, "eval/reflection/rate").empty());
  EXPECT_EQ(count(reflection, "<path class=\"series\" data-metric=\"eval/reflection/precision\""), 1u);
  EXPECT_NE(reflection.find("precision: P(correct | reflects) <small>(no values)</small></li>"), std::string::npos);
  EXPECT_EQ(reflection.find("eval/reflection/recall"), std::string::npos);  // below, with the rest
  EXPECT_EQ(count(html, "<path class=\"series\" data-metric=\"eval/reflection/recall\""), 1u);

  // No evaluation metrics: no headline section.
  fs::create_directories(dir_ / "no_eval");
  write(dir_ / "no_eval" / "metrics.jsonl", "{\"step\":1,\"reward\":0.5}\n{\"step\":2,\"reward\":0.6}\n");
  EXPECT_EQ(render_report({read_run_dir(dir_ / "no_eval")}).find("Held-out"), std::string::npos);
}

TEST_F(ReportTest, HeldOutHeadlineLeavesGapsWhereNothingIsCorrect) {
  std::string html = render_report({read_run_dir(write_eval_run("run"))});
  // mean_length_correct is null at steps 0 and 10: markers at 5, 15 and 20
  // only, and the line breaks at 10 instead of dropping to zero.
  EXPECT_EQ(count(html, "<circle class=\"point\" data-metric=\"eval/completions/mean_length_correct\""), 3u);
  EXPECT_EQ(count(series_path(html, "eval/completions/mean_length_correct"), "M"), 2u);
  EXPECT_EQ(count(series_path(html, "eval/completions/mean_length_correct"), "L"), 1u);
  EXPECT_NE(html.find("mean_length_correct at step 15: 45</title>"), std::string::npos);
  EXPECT_EQ(html.find("mean_length_correct at step 10"), std::string::npos);
  EXPECT_EQ(count(series_path(html, "eval/completions/mean_length_incorrect"), "M"), 1u);
  // precision is null throughout: an empty path, no markers, said in the legend.
  EXPECT_EQ(series_path(html, "eval/reflection/precision"), "");
  EXPECT_EQ(count(html, "<circle class=\"point\" data-metric=\"eval/reflection/precision\""), 0u);
  EXPECT_EQ(html.find("nan\""), std::string::npos) << "a NaN reached an SVG coordinate";
  // The all-zero reflection rate is drawn on [0, 1], not on a range of 1e-13.
  std::string reflection = figure_of(html, "chart-eval-reflection-rate");
  EXPECT_NE(reflection.find(">1.0</text>"), std::string::npos);
  EXPECT_EQ(reflection.find("e-1"), std::string::npos);
}

TEST_F(ReportTest, HeldOutHeadlineDrawsTheComparedRunDashedBeside) {
  RunData main = read_run_dir(write_eval_run("real"));
  RunData control = read_run_dir(write_eval_run("shuffled", 5), "negative control");
  std::string html = render_report({main, control});
  std::string lengths = figure_of(html, "chart-eval-completions-mean-length");
  for (std::string metric : {"eval/completions/mean_length", "eval/completions/mean_length_correct",
                             "eval/completions/mean_length_incorrect"}) {
    // Both runs on the same chart: the same colour per metric, the control dashed.
    std::string real = series_path(lengths, metric, 0), shuffled = series_path(lengths, metric, 1);
    EXPECT_FALSE(real.empty()) << metric;
    EXPECT_FALSE(shuffled.empty()) << metric;
    EXPECT_NE(real, shuffled) << metric;
    std::regex solid("data-metric=\"" + metric + "\" data-run=\"0\" stroke=\"(#[0-9a-f]{6})\" d=");
    std::regex dashed("data-metric=\"" + metric + "\" data-run=\"1\" stroke=\"(#[0-9a-f]{6})\" stroke-dasharray=");
    std::smatch a, b;
    ASSERT_TRUE(std::regex_search(lengths, a, solid)) << metric;
    ASSERT_TRUE(std::regex_search(lengths, b, dashed)) << metric;
    EXPECT_EQ(a[1], b[1]) << metric;
    // The control's markers are hollow.
    EXPECT_NE(lengths.find("data-metric=\"" + metric + "\" data-run=\"1\" fill=\"#fff\""), std::string::npos) << metric;
  }
  // The legend keys the runs' line styles by name.
  EXPECT_NE(lengths.find("<span class=\"run-key\" data-run=\"1\">"), std::string::npos);
  EXPECT_NE(lengths.find("</svg>negative control</span>"), std::string::npos);
  EXPECT_NE(lengths.find("</svg>real</span>"), std::string::npos);
  // One metric, two runs: coloured by run, each legend entry names its run.
  std::string accuracy = figure_of(html, "chart-eval-accuracy");
  EXPECT_FALSE(series_path(accuracy, "eval/accuracy", 1).empty());
  EXPECT_NE(accuracy.find("data-run=\"1\" title=\"eval/accuracy · negative control\">"), std::string::npos);
  std::string reflection = figure_of(html, "chart-eval-reflection-rate");
  EXPECT_FALSE(series_path(reflection, "eval/reflection/rate", 1).empty());
  EXPECT_NE(reflection.find("(no values: real, negative control)"), std::string::npos);
  // The headline's note names the compared run.
  size_t note = html.find("<p class=\"note\">", html.find("<section id=\"held-out\""));
  EXPECT_LT(html.find("<b>negative control</b>", note), html.find("</p>", note));
}

TEST_F(ReportTest, SummaryShowsLastValuesAndEvalAccuracyFirstToLast) {
  std::string html = render_report({read_run_dir(write_run("my_run"))});
  EXPECT_NE(html.find("<h1>my_run</h1>"), std::string::npos);
  EXPECT_NE(html.find("0 – 10"), std::string::npos);     // steps
  EXPECT_NE(html.find("0:00:20"), std::string::npos);   // wall time
  EXPECT_NE(html.find("<td>0.5</td>"), std::string::npos);  // last reward
  EXPECT_NE(html.find("0.1 → 0.6"), std::string::npos);   // eval/accuracy
}

TEST_F(ReportTest, CompareDrawsEveryRunOnEveryChart) {
  RunData main = read_run_dir(write_run("real"));
  RunData control = read_run_dir(write_run("shuffled", -0.5), "negative control");
  std::string html = render_report({main, control});
  for (std::string metric : {"reward", "eval/accuracy", "kl", "my_metric"}) {
    EXPECT_FALSE(series_path(html, metric, 0).empty()) << metric;
    EXPECT_FALSE(series_path(html, metric, 1).empty()) << metric;
  }
  EXPECT_NE(series_path(html, "reward", 0), series_path(html, "reward", 1));
  EXPECT_NE(html.find("reward · real"), std::string::npos);
  EXPECT_NE(html.find("reward · negative control"), std::string::npos);
  // The second run is dashed.
  EXPECT_NE(html.find("data-metric=\"reward\" data-run=\"1\" stroke=\"#f28e2b\" stroke-dasharray="), std::string::npos);
  // A metric only one run has is drawn for that run only.
  write(dir_ / "shuffled" / "metrics.jsonl", "{\"step\":1,\"only_here\":1.0}\n{\"step\":2,\"only_here\":2.0}\n");
  html = render_report({main, read_run_dir(dir_ / "shuffled")});
  EXPECT_TRUE(series_path(html, "only_here", 0).empty());
  EXPECT_FALSE(series_path(html, "only_here", 1).empty());
}

TEST_F(ReportTest, SamplesPerEvalStepAndEverythingEscaped) {
  fs::path run = write_run("run");
  const std::string evil = "</script><img src=x onerror=alert(1)>";
  std::ofstream samples(run / "samples.jsonl");
  for (int i = 0; i < 3; ++i)
    samples << "{\"step\":5,\"split\":\"eval\",\"prompt\":\"What is 2+" << i << "?\",\"completion\":\"" << evil
            << " & so " << i << "\",\"answer\":\"" << 2 + i << "\",\"reward\":" << (i == 0 ? 1 : 0)
            << ",\"correct\":" << (i == 0 ? "true" : "false") << "}\n";
  samples << "{\"step\":10,\"split\":\"eval\",\"prompt\":\"p\",\"completion\":\"c\",\"answer\":7,\"reward\":null}\n";
  samples << "{\"step\":10,\"split\":\"train\",\"prompt\":\"p\",\"completion\":\"TRAINING SAMPLE\"}\n";
  samples.close();
  write(run / "recipe.yaml", "model:\n  path: <models/qwen>\n");

  ReportOptions options;
  options.samples_per_step = 2;
  options.title = "<b>title</b>";
  RunData data = read_run_dir(run, "label\"<i>");
  std::string html = render_report({data}, options);

  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("</script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>title"), std::string::npos);
  EXPECT_EQ(html.find("<i>"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; so 0"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;title&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("label&quot;&lt;i&gt;"), std::string::npos);
  // Two of step 5's three shown, the summary counts all three; eval only.
  EXPECT_EQ(count(html, "<div class=\"sample\">"), 3u);
  EXPECT_NE(html.find("step 5 · 3 samples · 1/3 correct · mean reward 0.3333"), std::string::npos);
  EXPECT_NE(html.find("<code>7</code>"), std::string::npos);  // a number answer, as written
  EXPECT_NE(html.find("✓ correct"), std::string::npos);
  EXPECT_NE(html.find("✗ wrong"), std::string::npos);
  EXPECT_EQ(html.find("TRAINING SAMPLE"), std::string::npos);
  // The recipe, collapsed.
  EXPECT_NE(html.find("<details class=\"step\"><summary>recipe.yaml"), std::string::npos);
  EXPECT_NE(html.find("path: &lt;models/qwen&gt;"), std::string::npos);
}

TEST_F(ReportTest, BrokenRunDirectoriesNameTheFileAndLine) {
  EXPECT_ERROR(read_run_dir(dir_ / "nope"), "nope\": no such run directory");
  fs::create_directories(dir_ / "empty");
  EXPECT_ERROR(read_run_dir(dir_ / "empty"), "metrics.jsonl\": no such file");

  fs::path run = write_run("run");
  write(run / "metrics.jsonl", "{\"step\":1,\"reward\":0.5}\n{\"step\":2,\"reward\":\"high\"}\n{\"step\":3}\n");
  EXPECT_ERROR(read_run_dir(run), "metrics.jsonl\" line 2 is not a metrics record");

  write(run / "metrics.jsonl", "{\"step\":1,\"reward\":0.5}\n");
  write(run / "samples.jsonl", "{\"step\":1}\nnot json\n{\"step\":2}\n");
  EXPECT_ERROR(read_run_dir(run), "samples.jsonl\" line 2 is not a JSON object");
  write(run / "samples.jsonl", "{\"step\":1}\n{\"step\":\"two\"}\n");
  EXPECT_ERROR(read_run_dir(run), "samples.jsonl\" line 2: expected an integer \"step\"");
  write(run / "samples.jsonl", "{\"step\":1,\"correct\":1}\n");
  EXPECT_ERROR(read_run_dir(run), "line 1: \"correct\" must be true or false");
  // A line still being written is not an error.
  write(run / "samples.jsonl", "{\"step\":1,\"completion\":\"a\"}\n{\"step\":2,\"compl");
  EXPECT_EQ(read_run_dir(run).samples.size(), 1u);
  EXPECT_ERROR(render_report({}), "no runs");
}

TEST_F(ReportTest, WriteReportReplacesTheFileWholeAndLeavesNoTemporary) {
  fs::path run = write_run("run");
  write(run / "report.html", "old");
  grpo::write_report({read_run_dir(run)}, run / "report.html");
  std::string html = read_file(run / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.substr(html.size() - 15), "</body></html>\n");
  EXPECT_FALSE(fs::exists(run / "report.html.tmp"));
  EXPECT_ERROR(grpo::write_report({read_run_dir(run)}, dir_ / "missing" / "r.html"), "cannot create");
}

TEST_F(ReportTest, LongRunsAreThinnedButKeepTheirSpikes) {
  fs::path run = dir_ / "long";
  fs::create_directories(run);
  std::ofstream out(run / "metrics.jsonl");
  for (int step = 1; step <= 20000; ++step) out << "{\"step\":" << step << ",\"kl\":" << (step == 12345 ? 5.0 : 0.001) << "}\n";
  out.close();
  std::string html = render_report({read_run_dir(run)});
  std::string d = series_path(html, "kl");
  EXPECT_LT(count(d, "L"), 2000u);
  // The one spike survives: a point far above the baseline (SVG y grows downwards).
  std::regex point("L[0-9.]+ ([0-9.]+)");
  double top = 1e9;
  for (auto it = std::sregex_iterator(d.begin(), d.end(), point); it != std::sregex_iterator(); ++it)
    top = std::min(top, std::stod((*it)[1]));
  EXPECT_LT(top, 100.0);
}

TEST(ReportChart, NiceTicksCoverTheRangeWithRoundSteps) {
  using grpo::report::nice_ticks;
  EXPECT_EQ(nice_ticks(0, 1, 6), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  auto ticks = nice_ticks(0.013, 0.087, 6);
  EXPECT_LE(ticks.front(), 0.013);
  EXPECT_GE(ticks.back(), 0.087);
  EXPECT_NEAR(ticks[1] - ticks[0], 0.01, 1e-12);
  ticks = nice_ticks(-3, 1234, 7);
  EXPECT_NEAR(ticks[1] - ticks[0], 200, 1e-9);
  EXPECT_EQ(ticks.front(), -200);
  EXPECT_ERROR(nice_ticks(1, 1, 6), "bad range");
}

TEST(ReportChart, TickLabelsShowWhatTheSpacingResolves) {
  using grpo::report::format_tick;
  EXPECT_EQ(format_tick(0.25, 0.05), "0.25");
  EXPECT_EQ(format_tick(0.4, 0.2), "0.4");
  EXPECT_EQ(format_tick(1200, 200), "1200");
  EXPECT_EQ(format_tick(1.5e-5, 5e-6), "1.5e-05");
  EXPECT_EQ(format_tick(0, 0.1), "0");
  EXPECT_EQ(format_tick(-0.5, 0.5), "-0.5");
  EXPECT_EQ(grpo::report::html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
}

}  // namespace
