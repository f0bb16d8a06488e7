# Which groups C++ Nix reports where several paths match: libstdc++'s
# depth-first matcher takes one more round of a loop first, keeps the first
# path that reaches the end, and allows a second, empty round of a loop.
with builtins;
[
  (match "(a|ab)(c|bcd)(d*)" "abcd")
  (match "(a|)+" "aa")
  (match "(a*)*" "")
  (match "(a*)+" "")
  (match "(a{0,3})+" "aaaaaaa")
  (match "(a)*" "aa")
  (match "(a|b)*" "ab")
  (match "((a)|b)*" "ab")
  (match "(.+)+(.+)" "17.0.14+7")
  (match "(.*)e?abi.*" "linux")
  (match "([^/]*)/([^/]*)(/SNAPSHOT)?(/.*)?" "jna/5.6.0")
  (match "(|a)" "")
  (match "()*" "")
  (match "([ab]+*)+" "abab")
]
