# bash completion for sse3 — install with:
#   sse3 completion bash > ~/.local/share/bash-completion/completions/sse3
# Candidates come from `sse3 __complete`, which works offline: commands and options,
# key refs (file:, env:, keychain: names), s3:// paths and fingerprints recorded in the manifest.
# sse3 escapes them as the word was typed (backslashes, or inside an open quote) and leaves out
# what bash does not count as the word (it splits "s3://..." and "file:..." at the colon).
# The line goes to sse3 in its environment, never as arguments, which every user sees with ps (a key typed by
# mistake would be among them).
_sse3() {
  local line="${COMP_LINE:0:COMP_POINT}"
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\n' candidate
  COMPREPLY=()
  for candidate in $(SSE3_COMPLETE_LINE="$line" SSE3_COMPLETE_CUR="$cur" "${COMP_WORDS[0]}" __complete bash 2>/dev/null); do
    COMPREPLY+=("$candidate")
  done
}
complete -o nospace -F _sse3 sse3
