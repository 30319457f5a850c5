# bash completion for sse3 — install with:
#   sse3 completion bash > ~/.local/share/bash-completion/completions/sse3
# Candidates come from `sse3 __complete`, which works offline: commands and options,
# key refs (file:, env:, keychain: names) and s3:// paths recorded in the manifest.
_sse3() {
  local line="${COMP_LINE:0:COMP_POINT}"
  local cur="${COMP_WORDS[COMP_CWORD]}"
  # bash splits words at ':' (COMP_WORDBREAKS), sse3 completes whole words like
  # "keychain:prod" or "s3://bucket/key": drop what bash already counts as typed.
  local word="${line##*[[:space:]]}"
  local typed="${word%"$cur"}"
  local IFS=$'\n' candidate
  COMPREPLY=()
  for candidate in $("${COMP_WORDS[0]}" __complete bash "$line" 2>/dev/null); do
    COMPREPLY+=("${candidate#"$typed"}")
  done
}
complete -o nospace -F _sse3 sse3
