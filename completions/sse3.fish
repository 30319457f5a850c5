# fish completion for sse3 — install with:
#   sse3 completion fish > ~/.config/fish/completions/sse3.fish
# Candidates come from `sse3 __complete`, which works offline: commands and options,
# key refs (file:, env:, keychain: names), s3:// paths and fingerprints recorded in the manifest.
# sse3 reads the line as typed (quotes, backslashes) and prints values; fish escapes them.
complete -c sse3 -f -a '(sse3 __complete fish (commandline -cp) 2>/dev/null)'
