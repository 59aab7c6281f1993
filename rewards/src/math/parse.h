// From answer text to an expression tree: a lexer that does LaTeX normalisation
// as it goes, and a recursive-descent parser with node and depth limits.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "math/budget.h"
#include "math/expr.h"

namespace grpo::rewards::math {

enum class Tok : uint8_t {
  num,   // "7425000", "0.5", "1.5e-3" (separators and decimal commas resolved)
  word,  // a run of letters ("x", "cm", "sin"), or of other-script characters ("厘米")
  text,  // the words of a \text{...}-like group that holds no math ("cm", "Monday")
  cmd,   // a command, normalised: "frac" for \dfrac, "le" for \leq or ≤, "begin:pmatrix"
  op,    // punctuation: + - * / ^ _ ( ) [ ] { } , ; : = < > ! | & ' % "\{" "\}" "\\" "!=" "<=" ">="
  end,
};

struct Token {
  Tok kind;
  std::string text;
  bool space_before = false;
};

// Tokens of an answer; the last one is Tok::end. Skips what carries no
// meaning for the value ($, \left, \displaystyle, spacing commands, ...).
std::vector<Token> lex(std::string_view answer, Budget& budget);

// Parses one answer into `out`. Returns false when the text is not math this
// parser reads; throws Exhausted when a limit or the deadline is hit.
bool parse_answer(std::string_view answer, Expr& out, Budget& budget);

}  // namespace grpo::rewards::math
