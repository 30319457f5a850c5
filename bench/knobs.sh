# The benchmarks' settings from the environment, checked before anything is started: sourced first by every bench
# script (from the repository's root) as `source bench/knobs.sh WHO`, WHO the start of its error lines (bench,
# bench/teams, ...). Sets QUICK (BENCH_QUICK, 0 or 1) and gives `knob`. Kept apart from bench/lib.sh, whose sourcing
# makes a scratch folder and installs tools: a wrong setting ends the run before any of that, on one line.
KNOBS_WHO=${1:?usage: source bench/knobs.sh WHO}
QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] || [ "$QUICK" = 1 ] || { echo "$KNOBS_WHO: BENCH_QUICK must be 0 or 1" >&2; exit 2; }

# knob TYPE NAME VAR DEFAULT [FULL_DEFAULT]: sets NAME to the environment variable VAR, else to DEFAULT (with
# FULL_DEFAULT given: DEFAULT in a quick run, FULL_DEFAULT in a full one). TYPE is what the value must be: count (a
# positive integer), counts (one or more positive integers separated by spaces) or text (anything). A wrong value ends
# the script with exit 2 and one line saying what was expected.
knob() {
  local type=$1 name=$2 var=$3 value c
  local -a each
  if [ $# -ge 5 ] && [ "$QUICK" = 0 ]; then value=${!var:-$5}; else value=${!var:-$4}; fi
  case $type in
    count) [[ $value =~ ^[1-9][0-9]*$ ]] || knob_wrong "$name must be a positive integer, got '$value'" ;;
    counts)
      read -r -a each <<<"$value"
      [ ${#each[@]} -gt 0 ] || knob_wrong "$var must be positive integers, got '$value'"
      for c in "${each[@]}"; do
        [[ $c =~ ^[1-9][0-9]*$ ]] || knob_wrong "$var must be positive integers, got '$value'"
      done ;;
    text) ;;
    *) knob_wrong "knob: unknown type '$type' for $name" ;;
  esac
  printf -v "$name" '%s' "$value"
}
knob_wrong() { echo "$KNOBS_WHO: $*" >&2; exit 2; }
