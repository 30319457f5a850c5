#compdef sse3
# zsh completion for sse3 — install with:
#   sse3 completion zsh > "${fpath[1]}/_sse3"   (then restart zsh)
# Candidates come from `sse3 __complete`, which works offline: commands and options,
# key refs (file:, env:, keychain: names), s3:// paths and fingerprints recorded in the manifest.
# The line goes to sse3 in its environment, never as arguments, which every user sees with ps (a key typed by
# mistake would be among them).
_sse3() {
  local -a all more
  local c
  # The words as values (quotes and backslashes removed), quoted again the same way for sse3 to read.
  local line="${(j: :)${(@q)${(@Q)words[1,CURRENT-1]}}} ${(q)${(Q)PREFIX}}"
  all=(${(f)"$(SSE3_COMPLETE_LINE="$line" ${words[1]} __complete zsh 2>/dev/null)"})
  for c in $all; do
    # Folders and ref prefixes (ending in / or :) keep the cursor on the word.
    more=()
    [[ $c == *[/:] ]] && more=(-S '')
    # zsh quotes what it inserts as the word was typed; a leading ~/ stays unquoted so it still means home.
    if [[ $c == '~/'* && -z ${compstate[quote]} ]]; then
      compadd -U -Q "${more[@]}" -- "~/${(q)c#\~/}"
    else
      compadd -U "${more[@]}" -- "$c"
    fi
  done
  return 0
}
if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _sse3 "$@"
else
  compdef _sse3 sse3
fi
