# Where libstdc++'s search differs from both leftmost-first and
# leftmost-longest: at an alternation the longer side wins, but a loop never
# gives back a round once any match was found.
with builtins;
[
  (split "(a|ab)" "abc")
  (split "(a|ab)*" "abab")
  (split "(ab|a)*" "abab")
  (split "a*(ab)?" "aab")
  (split "(a?)(ab)?" "ab")
  (split "(a|ab)(bc)?" "abc")
  (split "(a*)*" "aab")
  (split "(a*)+" "aab")
  (split "(a|b)*?" "ab")
]
