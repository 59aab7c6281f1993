# The grpo program from the outside: exit codes, stdout, stderr.
# Usage: cmake -DGRPO=<path to grpo> -DDATA=<tests/data> -P cli_test.cmake

# expect(<name> <exit code> <regex on stdout> <regex on stderr> <args>...)
function(expect name want_code out_regex err_regex)
  execute_process(COMMAND ${GRPO} ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL want_code)
    message(FATAL_ERROR "${name}: exit code ${code}, expected ${want_code}\nstdout: ${out}\nstderr: ${err}")
  endif()
  if(NOT out MATCHES "${out_regex}")
    message(FATAL_ERROR "${name}: stdout does not match '${out_regex}':\n${out}")
  endif()
  if(NOT err MATCHES "${err_regex}")
    message(FATAL_ERROR "${name}: stderr does not match '${err_regex}':\n${err}")
  endif()
  message(STATUS "ok: ${name}")
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
       config ${RECIPES}/objective_defaults.yaml --set loss.clip_eps_high=0.28)
expect(out-of-range 1 "^$" "--set loss.clip_eps_low=1.5: loss.clip_eps_low: 1.5 is out of range \\[0, 1\\]"
       config ${RECIPES}/objective_defaults.yaml --set loss.clip_eps_low=1.5)
