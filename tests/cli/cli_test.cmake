# The grpo program from the outside: exit codes, stdout, stderr.
# Usage: cmake -DGRPO=<path to grpo> -DDATA=<tests/data> -DRECIPES=<recipes> -DSCRATCH=<scratch dir> -P cli_test.cmake

# expect_input(<name> <input file, or - for none> <exit code> <regex on stdout> <regex on stderr> <args>...)
# Runs grpo <args> with that stdin, checks its exit code and output, and leaves its
# stdout in last_stdout.
function(expect_input name input want_code out_regex err_regex)
  set(stdin "")
  if(NOT input STREQUAL "-")
    set(stdin INPUT_FILE ${input})
  endif()
  execute_process(COMMAND ${GRPO} ${ARGN} ${stdin} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL want_code)
    message(FATAL_ERROR "${name}: exit code ${code}, expected ${want_code}\nstdout: ${out}\nstderr: ${err}")
  endif()
  if(NOT out MATCHES "${out_regex}")
    message(FATAL_ERROR "${name}: stdout does not match '${out_regex}':\n${out}")
  endif()
  if(NOT err MATCHES "${err_regex}")
    message(FATAL_ERROR "${name}: stderr does not match '${err_regex}':\n${err}")
  endif()
  set(last_stdout "${out}" PARENT_SCOPE)
  message(STATUS "ok: ${name}")
endfunction()

# expect(<name> <exit code> <regex on stdout> <regex on stderr> <args>...): no stdin.
function(expect name want_code out_regex err_regex)
  expect_input(${name} - ${want_code} "${out_regex}" "${err_regex}" ${ARGN})
endfunction()

expect(help 0 "Subcommands:.*config" "^$" --help)
expect(version 0 "libgrpo [0-9]+\\.[0-9]+" "^$" --version)
expect(no-subcommand 106 "" "A subcommand is required")
expect(unknown-subcommand 2 "" "grpo: unknown command 'frobnicate'" frobnicate)
expect(good-recipe 0 "seed: 7" "^$" config ${DATA}/recipes/minimal.yaml --set run.seed=7)
expect(unknown-key 1 "^$" "grpo: error: .*minimal_typo.yaml:3:3: run.sed: unknown key \\(did you mean 'seed'\\?\\)"
       config ${DATA}/recipes/minimal_typo.yaml)
expect(missing-file 1 "^$" "grpo: error: /nonexistent.yaml: cannot open file" config /nonexistent.yaml)
expect(objective-recipe 0 "aggregation: dapo.*clip_eps_high: 0.28" "^$"
       config ${RECIPES}/objective_defaults.yaml --set trainer.loss.clip_eps_high=0.28)
expect(out-of-range 1 "^$" "--set trainer.loss.clip_eps_low=1.5: trainer.loss.clip_eps_low: 1.5 is out of range \\[0, 1\\]"
       config ${RECIPES}/objective_defaults.yaml --set trainer.loss.clip_eps_low=1.5)

# ---------------------------------------------------------------- grpo train: bad recipes fail before any work
file(REMOVE_RECURSE ${SCRATCH}/train_bad)
expect(train-unknown-key 1 "^$" "grpo: error: .*train_typo.yaml:5:5: trainer.loss.clip_eps_hihg: unknown key \\(did you mean 'clip_eps_high'\\?\\)"
       train ${DATA}/recipes/train_typo.yaml --out ${SCRATCH}/train_bad)
expect(train-impossible-batch 1 "^$" "grpo: error: trainer: prompts_per_step x group_size = 3 x 5 = 15 completions do not split into trainer.minibatches = 4"
       train ${DATA}/recipes/bad_batch.yaml --out ${SCRATCH}/train_bad)
expect(train-missing-dataset 1 "^$" "grpo: error: data.jsonl.path '/nonexistent/train.jsonl': no such file"
       train ${DATA}/recipes/missing_dataset.yaml --out ${SCRATCH}/train_bad)
expect(train-missing-model 1 "^$" "grpo: error: model.path '/nonexistent/model' is not a directory"
       train ${DATA}/recipes/minimal.yaml --out ${SCRATCH}/train_bad --set model.path=/nonexistent/model)
expect(train-bad-override 1 "^$" "trainer.group_size: 1 is out of range"
       train ${DATA}/recipes/minimal.yaml --out ${SCRATCH}/train_bad --set trainer.group_size=1)
if(EXISTS ${SCRATCH}/train_bad)
  message(FATAL_ERROR "a recipe that failed validation still created its output directory")
endif()

# ---------------------------------------------------------------- grpo train, eval, generate on a tiny run
file(REMOVE_RECURSE ${SCRATCH}/train_tiny)
expect(train-tiny 0 "^$" "saved .*step-000004"
       train ${RECIPES}/tiny_from_scratch.yaml --out ${SCRATCH}/train_tiny --set run.steps=4 --set eval.every=2
       --set run.save_every=2 --set trainer.prompts_per_step=2)
expect(train-again-refused 1 "^$" "already holds a run; pass --resume"
       train ${RECIPES}/tiny_from_scratch.yaml --out ${SCRATCH}/train_tiny --set run.steps=4)
expect(train-resume-extends 0 "^$" "resuming from .*step-000004.*saved .*step-000006"
       train ${RECIPES}/tiny_from_scratch.yaml --out ${SCRATCH}/train_tiny --set run.steps=6 --set eval.every=2
       --set run.save_every=2 --set trainer.prompts_per_step=2 --resume)
expect(eval-tiny 0 "\"maj@4\": [0-9.]+.*\"pass@1\": [0-9.]+" "^$"
       eval ${RECIPES}/tiny_from_scratch.yaml --set run.output_dir=${SCRATCH}/train_tiny --set eval.max_prompts=5)
expect(eval-no-checkpoint 1 "^$" "no model to evaluate"
       eval ${RECIPES}/tiny_from_scratch.yaml --set run.output_dir=${SCRATCH}/nothing_here)
expect(generate-tiny 0 "--- completion 3 of 3" "^$"
       generate --model ${SCRATCH}/train_tiny/checkpoints/step-000006 "What is 2 + 2? " -n 3 --max-new-tokens 4)
expect(generate-not-a-model 1 "^$" "grpo: error: .*config.json"
       generate --model ${SCRATCH} "hi")
expect(report-tiny 0 "" "" report ${SCRATCH}/train_tiny)
if(NOT EXISTS ${SCRATCH}/train_tiny/report.html)
  message(FATAL_ERROR "grpo report wrote no report.html")
endif()

# ---------------------------------------------------------------- grpo tokenize

set(qwen3 ${DATA}/tokenizers/qwen3)
file(MAKE_DIRECTORY ${SCRATCH})
file(WRITE ${SCRATCH}/texts.jsonl "{\"text\": \"Hello, world!\"}\n\n{\"text\": \"<|im_start|>user\\nПривет 👋<|im_end|>\"}\n")
expect_input(tokenize-encode ${SCRATCH}/texts.jsonl 0 "^{\"ids\":\\[9707,11,1879,0\\]}\n{\"ids\":\\[151644,[0-9,]+,151645\\]}\n$" "^$"
             tokenize --tokenizer ${qwen3})
# Decoding what was just encoded gives the texts back.
file(WRITE ${SCRATCH}/ids.jsonl "${last_stdout}")
expect_input(tokenize-decode ${SCRATCH}/ids.jsonl 0 "^{\"text\":\"Hello, world!\"}\n{\"text\":\"<\\|im_start\\|>user\\\\nПривет 👋<\\|im_end\\|>\"}\n$"
             "^$" tokenize --tokenizer ${qwen3} --decode)
expect_input(tokenize-decode-skip ${SCRATCH}/ids.jsonl 0 "{\"text\":\"user\\\\nПривет 👋\"}\n$" "^$"
             tokenize --tokenizer ${qwen3} --decode --skip-special-tokens)
file(WRITE ${SCRATCH}/bad.jsonl "{\"text\": \"fine\"}\n{\"text\": unquoted}\n")
expect_input(tokenize-bad-line ${SCRATCH}/bad.jsonl 1 "^{\"ids\":\\[[0-9]+\\]}\n$" "grpo: error: stdin line 2: malformed JSON"
             tokenize --tokenizer ${qwen3})
file(WRITE ${SCRATCH}/bad_id.jsonl "{\"ids\": [1, 99999999]}\n")
expect_input(tokenize-bad-id ${SCRATCH}/bad_id.jsonl 1 "^$" "grpo: error: stdin line 1: decode: id 99999999 is not a token"
             tokenize --tokenizer ${qwen3} --decode)
expect_input(tokenize-wrong-field ${SCRATCH}/bad_id.jsonl 1 "^$" "grpo: error: stdin line 1: expected {\"text\": \"...\"}"
             tokenize --tokenizer ${qwen3})
expect_input(tokenize-missing-tokenizer ${SCRATCH}/texts.jsonl 1 "^$" "grpo: error: /nonexistent: cannot open file"
             tokenize --tokenizer /nonexistent)

# ---------------------------------------------------------------- grpo reward math
# grpo reward math: one JSON line out per line in (blank lines skipped), in order.
set(line_ok "\\{\"answer\":\"0.5\",\"correct\":true,\"gold\":\"1/2\",\"pred\":\"0.5\",\"reason\":\"equal\"\\}")
expect_input(reward-math ${DATA}/reward/math.jsonl 0
  "^${line_ok}\n[^\n]*\"correct\":true,\"gold\":\"7425000\"[^\n]*\n[^\n]*\"correct\":true,\"gold\":\"x > 3\",\"pred\":\"\\(3, inf\\)\"[^\n]*\n[^\n]*\"correct\":false,\"gold\":\"42\",\"pred\":\"41\",\"reason\":\"not_equal\"[^\n]*\n[^\n]*\"correct\":false[^\n]*\"reason\":\"too_large\"[^\n]*\n$"
  "^$" reward math)
expect_input(reward-math-answers ${DATA}/reward/answers.jsonl 0
  "^\\{\"correct\":true,\"gold\":\"2\\*sqrt\\(2\\)\",\"pred\":\"sqrt\\(8\\)\",\"reason\":\"equal\"\\}\n\\{\"correct\":true,\"gold\":\"\\{1, 2\\}\",\"pred\":\"2, 1\",\"reason\":\"equal\"\\}\n$"
  "^$" reward math --pred-is-answer)
expect_input(reward-math-bad-lines ${DATA}/reward/bad.jsonl 1
  "^[^\n]*\"correct\":true[^\n]*\n[^\n]*\"reason\":\"bad_input\"[^\n]*\n[^\n]*missing key[^\n]*\n[^\n]*expected a JSON object[^\n]*\n[^\n]*must be a string or a number[^\n]*\n[^\n]*\"correct\":true[^\n]*\n$"
  "grpo: line 2: .*parse error.*grpo: line 3: missing key \"pred\".*grpo: line 4: expected a JSON object.*grpo: line 5: \"gold\" must be a string or a number, not array"
  reward math)
expect_input(reward-math-empty ${DATA}/recipes/minimal.yaml 1 "bad_input" "line 1" reward math)
expect(reward-needs-subcommand 106 "" "A subcommand is required" reward)
expect(reward-math-bad-option 105 "" "--timeout-ms: Value 0 not in range" reward math --timeout-ms 0)
expect(reward-math-help 0 "--pred-is-answer.*--rel-tol.*--timeout-ms" "^$" reward math --help)

# ---------------------------------------------------------------- grpo report
# tests/data/run: a made-up 40-step run (metrics with evaluations every 10
# steps and a null kl, samples with a completion that tries to inject markup, recipe).
file(REMOVE_RECURSE ${SCRATCH}/run)
file(COPY ${DATA}/run DESTINATION ${SCRATCH})
expect(report-default-out 0 "^wrote .*/run/report.html\n$" "^$" report ${SCRATCH}/run)
file(READ ${SCRATCH}/run/report.html html)
foreach(want "^<!DOCTYPE html>" "</body></html>\n$" "data-metric=\"eval/accuracy\"" "data-metric=\"time/rollout\""
             "class=\"band\" data-metric=\"reward_std\"" "&lt;/script&gt;&lt;img src=x onerror=alert\\(1\\)&gt;"
             "<summary>recipe.yaml")
  if(NOT html MATCHES "${want}")
    message(FATAL_ERROR "report-default-out: report.html does not match '${want}'")
  endif()
endforeach()
if(html MATCHES "<img|<script")
  message(FATAL_ERROR "report-default-out: report.html holds unescaped markup from the run")
endif()
expect(report-compare 0 "^wrote .*compare.html\n$" "^$"
       report ${DATA}/run --compare ${SCRATCH}/run --label real --label control --out ${SCRATCH}/compare.html --samples 1)
file(READ ${SCRATCH}/compare.html html)
if(NOT html MATCHES "data-metric=\"reward\" data-run=\"1\"" OR NOT html MATCHES "reward · control")
  message(FATAL_ERROR "report-compare: the second run is not drawn")
endif()
expect(report-missing-dir 1 "^$" "grpo: error: \"[^\"]*/no_such_run\": no such run directory" report ${SCRATCH}/no_such_run)
file(MAKE_DIRECTORY ${SCRATCH}/bad_run)
file(WRITE ${SCRATCH}/bad_run/metrics.jsonl "{\"step\": 1, \"reward\": 0.5}\n{\"step\": 2, \"reward\": oops}\n{\"step\": 3}\n")
expect(report-bad-line 1 "^$" "grpo: error: \"[^\"]*/bad_run/metrics.jsonl\" line 2 is not a metrics record" report ${SCRATCH}/bad_run)
expect(report-too-many-labels 1 "^$" "grpo: error: 3 --label given for 2 runs"
       report ${DATA}/run --compare ${SCRATCH}/run --label a --label b --label c --out ${SCRATCH}/x.html)
