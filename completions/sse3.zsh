#compdef sse3
# zsh completion for sse3 — install with:
#   sse3 completion zsh > "${fpath[1]}/_sse3"   (then restart zsh)
# Candidates come from `sse3 __complete`, which works offline: commands and options,
# key refs (file:, env:, keychain: names) and s3:// paths recorded in the manifest.
_sse3() {
  local -a all done open
  all=(${(f)"$(${words[1]} __complete zsh "$LBUFFER" 2>/dev/null)"})
  # Folders and ref prefixes (ending in / or :) keep the cursor on the word.
  open=(${(M)all:#*[/:]})
  done=(${all:#*[/:]})
  (( ${#done} )) && compadd -Q -U -- ${done}
  (( ${#open} )) && compadd -Q -U -S '' -- ${open}
  return 0
}
if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _sse3 "$@"
else
  compdef _sse3 sse3
fi
