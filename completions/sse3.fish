# fish completion for sse3 — install with:
#   sse3 completion fish > ~/.config/fish/completions/sse3.fish
# Candidates come from `sse3 __complete`, which works offline: commands and options,
# key refs (file:, env:, keychain: names), s3:// paths and fingerprints recorded in the manifest.
# sse3 reads the line as typed (quotes, backslashes) and prints values; fish escapes them.
# The line goes to sse3 in its environment, never as arguments, which every user sees with ps (a key typed by
# mistake would be among them).
function __sse3_complete
    set -lx SSE3_COMPLETE_LINE (commandline -cp | string collect)
    sse3 __complete fish 2>/dev/null
end
complete -c sse3 -f -a '(__sse3_complete)'
