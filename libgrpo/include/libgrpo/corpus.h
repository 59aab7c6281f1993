// Worked solutions for arithmetic chains, and a pretraining corpus made of them:
// the text a tiny base model learns from before reinforcement learning.
//
// A problem "What is 7 + 5 + 9 + 3?" is solved in one of three styles, the three
// behaviours real base models already show and that RL then reweights:
//
//   direct    " The answer is 24. </think> <answer>24</answer>"
//   steps     " 7+5=12. 12+9=21. 21+3=24. The answer is 24. </think> <answer>24</answer>"
//   reflect   a slip, noticed and corrected:
//             " 7+5=12. 12+9=22. 22+3=25. The answer is 25. Wait, let me recalculate.
//               7+5=12. 12+9=21. 21+3=24. The answer is 24. </think> <answer>24</answer>"
//             or a quick guess that is then worked out:
//             " The answer is 26. Wait, let me recalculate. 7+5=12. ... The answer is 24. ..."
//
// Thinking longer helps by construction: each step is a one-digit addition a small
// model learns easily, while the direct answer must add every operand at once. The
// texts follow the prompt template (which ends with "<think>" in the R1-Zero style)
// and together with it form one document.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libgrpo/config.h"
#include "libgrpo/dataset.h"
#include "libgrpo/prompt.h"

namespace grpo {

enum class SolutionStyle { direct, steps, reflect };

// How a reflect solution goes wrong before it recalculates. A direct solution with
// SlipKind::guess is a wrong answer given without working, left uncorrected.
enum class SlipKind {
  step,   // one step's sum is off; the later steps carry the wrong value on
  guess,  // a wrong direct answer first
};

struct SolutionOptions {
  std::string reflection = "Wait, let me recalculate.";  // said between the slip and the redo
  std::string conclusion = "The answer is {answer}.";    // ends each attempt
  // After the reasoning: the R1-Zero answer format.
  std::string closing = " </think> <answer>{answer}</answer>";
};
void describe(config::Visitor& v, SolutionOptions& o);

// The operands and operators of "7 + 5 - 9" (numbers, and + or - between them).
// Anything else is a grpo::Error naming the expression.
struct Chain {
  std::vector<int64_t> operands;
  std::vector<char> operators;  // operators[i] sits between operands[i] and operands[i + 1]
};
Chain parse_chain(const std::string& expression);

// The worked solution of `expression` in `style`, the text that follows the prompt.
// `seed` picks the slip of a reflect solution (kind, step, and how far off it is);
// the same seed gives the same text.
std::string write_solution(const std::string& expression, SolutionStyle style, uint64_t seed,
                           const SolutionOptions& options = {});
std::string write_solution(const std::string& expression, SolutionStyle style, SlipKind slip, uint64_t seed,
                           const SolutionOptions& options = {});

// The share of each style in the corpus (normalised; need not sum to 1).
struct StyleMix {
  double direct = 0.6;
  double steps = 0.2;
  double reflect = 0.2;
  double guess_share = 0.5;  // of reflect solutions, those that start from a wrong guess
  // Of direct answers, the share that is right; the rest are off by a slip. Answers
  // given without working are often wrong, for people and base models alike; 1
  // makes every direct answer right.
  double direct_accuracy = 1.0;
};
void describe(config::Visitor& v, StyleMix& o);

struct CorpusOptions {
  TaskOptions task;         // arithmetic problems (the train split; the test split is never used)
  PromptTemplate prompt;    // the RL recipe's template, so pretraining sees the same text
  int64_t documents = 50000;
  StyleMix styles;
  SolutionOptions solution;
};
void describe(config::Visitor& v, CorpusOptions& o);

struct CorpusDocument {
  std::string prompt;      // the rendered prompt
  std::string completion;  // the worked solution
  SolutionStyle style = SolutionStyle::direct;
};

// `documents` documents over the task's train split (cycling through it), each style
// drawn from the mix with a seed derived from task.seed: the corpus is reproducible.
std::vector<CorpusDocument> generate_corpus(const CorpusOptions& options);

const char* style_name(SolutionStyle style);

}  // namespace grpo
